import {
  block,
  blocks,
  refersTo,
  resolve,
  resourcesOf,
  stringsIn,
  type TfBlock,
  type TfModel,
} from './terraform-model.js'

/**
 * PCI DSS v4.0.1 controls checked on a Terraform module (deploy/terraform/aws). Each control says
 * what it proves and returns the problems it found; no problem = the control is in the code. A value
 * the checker cannot evaluate (an opaque expression) is a problem: fail closed.
 */
export interface TerraformControl {
  /** Stable id: the requirement plus what is checked, e.g. `10.2.1/flow-logs`. */
  readonly id: string
  /** PCI DSS v4.0.1 requirement number. */
  readonly requirement: string
  readonly title: string
  check(model: TfModel): string[]
}

export interface TerraformFinding {
  readonly id: string
  readonly requirement: string
  readonly title: string
  readonly ok: boolean
  readonly problems: readonly string[]
}

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0'])
/** ELB policies that refuse TLS 1.0 and 1.1. */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)/
const MIN_RETENTION_DAYS = 365
const SECRET_NAME = /(KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|CREDENTIAL)/i

const isTrue = (m: TfModel, v: unknown): boolean => resolve(m, v) === true
const num = (m: TfModel, v: unknown): number | undefined => {
  const r = resolve(m, v)
  return typeof r === 'number' ? r : typeof r === 'string' && /^\d+$/.test(r) ? Number(r) : undefined
}
const need = (problems: string[], ok: boolean, problem: string): void => {
  if (!ok) problems.push(problem)
}
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v])

/** Security groups attached to a load balancer: the only ones allowed ingress from anywhere. */
function loadBalancerGroups(m: TfModel): Set<string> {
  const out = new Set<string>()
  for (const [, lb] of resourcesOf(m, 'aws_lb'))
    for (const s of stringsIn(lb.security_groups))
      for (const [, n] of s.matchAll(/aws_security_group\.([A-Za-z0-9_-]+)/g)) out.add(n!)
  return out
}

function openIngress(m: TfModel): string[] {
  const problems: string[] = []
  const albGroups = loadBalancerGroups(m)
  const onlyHttpsToAlb = (where: string, group: string | undefined, r: TfBlock): void => {
    const from = num(m, r.from_port)
    const to = num(m, r.to_port)
    if (!group || !albGroups.has(group) || from !== 443 || to !== 443)
      problems.push(
        `${where} admits the whole internet (0.0.0.0/0 or ::/0) other than HTTPS 443 to the load balancer`,
      )
  }
  for (const [name, r] of resourcesOf(m, 'aws_vpc_security_group_ingress_rule')) {
    const each = resolve(m, r.for_each)
    const cidrs = [r.cidr_ipv4, r.cidr_ipv6].flatMap((c) =>
      c === undefined ? [] : asList(resolve(m, c, each)).flatMap((x) => asList(resolve(m, x))),
    )
    if (cidrs.some((c) => typeof c === 'string' && OPEN_CIDRS.has(c))) {
      const group = /aws_security_group\.([A-Za-z0-9_-]+)/.exec(String(r.security_group_id))?.[1]
      onlyHttpsToAlb(`aws_vpc_security_group_ingress_rule.${name}`, group, r)
    }
  }
  for (const [name, sg] of resourcesOf(m, 'aws_security_group'))
    for (const r of blocks(sg, 'ingress')) {
      const cidrs = [r.cidr_blocks, r.ipv6_cidr_blocks].flatMap((c) => asList(resolve(m, c)))
      if (cidrs.some((c) => typeof c === 'string' && OPEN_CIDRS.has(c)))
        onlyHttpsToAlb(`aws_security_group.${name} (inline ingress)`, name, r)
    }
  for (const [name, r] of resourcesOf(m, 'aws_security_group_rule')) {
    const cidrs = [r.cidr_blocks, r.ipv6_cidr_blocks].flatMap((c) => asList(resolve(m, c)))
    if (r.type === 'ingress' && cidrs.some((c) => typeof c === 'string' && OPEN_CIDRS.has(c))) {
      const group = /aws_security_group\.([A-Za-z0-9_-]+)/.exec(String(r.security_group_id))?.[1]
      onlyHttpsToAlb(`aws_security_group_rule.${name}`, group, r)
    }
  }
  const vpc = m.modules.get('vpc')
  need(
    problems,
    vpc?.manage_default_security_group === true &&
      Array.isArray(vpc.default_security_group_ingress) &&
      vpc.default_security_group_ingress.length === 0,
    'module.vpc must manage the default security group and leave it without ingress',
  )
  return problems
}

function flowLogs(m: TfModel): string[] {
  const p: string[] = []
  const vpc = [...m.modules.values()].find((b) =>
    String(b.source).startsWith('terraform-aws-modules/vpc/aws'),
  )
  if (!vpc) return ['no terraform-aws-modules/vpc/aws module']
  need(p, isTrue(m, vpc.enable_flow_log), 'module.vpc: enable_flow_log must be true')
  need(p, resolve(m, vpc.flow_log_traffic_type) === 'ALL', 'module.vpc: flow_log_traffic_type must be ALL')
  need(
    p,
    resolve(m, vpc.flow_log_destination_type ?? 'cloud-watch-logs') === 'cloud-watch-logs',
    'module.vpc: flow logs must go to CloudWatch Logs',
  )
  need(
    p,
    isTrue(m, vpc.create_flow_log_cloudwatch_log_group),
    'module.vpc: the flow-log log group must be created',
  )
  return p
}

function trail(m: TfModel): TfBlock | undefined {
  return resourcesOf(m, 'aws_cloudtrail')[0]?.[1]
}

function cloudTrail(m: TfModel): string[] {
  const t = trail(m)
  if (!t) return ['no aws_cloudtrail']
  const p: string[] = []
  need(p, isTrue(m, t.is_multi_region_trail), 'CloudTrail: is_multi_region_trail must be true')
  need(
    p,
    isTrue(m, t.include_global_service_events),
    'CloudTrail: include_global_service_events must be true',
  )
  need(p, refersTo(m, t.kms_key_id, 'aws_kms_key'), 'CloudTrail: log files must be encrypted with a CMK')
  return p
}

function logValidation(m: TfModel): string[] {
  const t = trail(m)
  if (!t) return ['no aws_cloudtrail']
  return isTrue(m, t.enable_log_file_validation)
    ? []
    : ['CloudTrail: enable_log_file_validation must be true']
}

/** The bucket CloudTrail writes to. */
function logBucket(m: TfModel): [string, TfBlock] | undefined {
  const target = /aws_s3_bucket\.([A-Za-z0-9_-]+)/.exec(String(trail(m)?.s3_bucket_name))?.[1]
  const b = target ? m.resources.get(`aws_s3_bucket.${target}`) : undefined
  return target && b ? [target, b] : undefined
}

const bucketSetting = (m: TfModel, type: string, bucket: string): TfBlock | undefined =>
  resourcesOf(m, type).find(([, r]) => String(r.bucket).includes(`aws_s3_bucket.${bucket}.`))?.[1]

function protectedLogs(m: TfModel): string[] {
  const lb = logBucket(m)
  if (!lb) return ['CloudTrail does not write to an S3 bucket of this module']
  const [name, bucket] = lb
  const p: string[] = []
  need(p, isTrue(m, bucket.object_lock_enabled), `aws_s3_bucket.${name}: object_lock_enabled must be true`)
  const lock = block(
    block(bucketSetting(m, 'aws_s3_bucket_object_lock_configuration', name), 'rule'),
    'default_retention',
  )
  need(
    p,
    resolve(m, lock?.mode) === 'COMPLIANCE',
    `aws_s3_bucket.${name}: object lock must be in COMPLIANCE mode`,
  )
  const pab = bucketSetting(m, 'aws_s3_bucket_public_access_block', name)
  for (const k of [
    'block_public_acls',
    'block_public_policy',
    'ignore_public_acls',
    'restrict_public_buckets',
  ])
    need(p, isTrue(m, pab?.[k]), `aws_s3_bucket.${name}: public access block ${k} must be true`)
  const versioning = block(bucketSetting(m, 'aws_s3_bucket_versioning', name), 'versioning_configuration')
  need(p, resolve(m, versioning?.status) === 'Enabled', `aws_s3_bucket.${name}: versioning must be Enabled`)
  return p
}

function retention(m: TfModel): string[] {
  const p: string[] = []
  const atLeast = (what: string, v: unknown, absentMeansForever: boolean): void => {
    if (v === undefined && absentMeansForever) return
    const n = num(m, v)
    // CloudWatch retention 0 means "never expire".
    if (n === undefined || (n !== 0 && n < MIN_RETENTION_DAYS))
      p.push(`${what} keeps logs ${n ?? String(v)} days; at least ${MIN_RETENTION_DAYS} needed`)
  }
  for (const [n, g] of resourcesOf(m, 'aws_cloudwatch_log_group'))
    atLeast(`aws_cloudwatch_log_group.${n}`, g.retention_in_days, true)
  const vpc = m.modules.get('vpc')
  atLeast('module.vpc flow logs', vpc?.flow_log_cloudwatch_log_group_retention_in_days, true)
  const lb = logBucket(m)
  if (lb) {
    const lock = block(
      block(bucketSetting(m, 'aws_s3_bucket_object_lock_configuration', lb[0]), 'rule'),
      'default_retention',
    )
    atLeast(
      `aws_s3_bucket.${lb[0]} object lock`,
      lock?.days ?? (lock?.years !== undefined ? 365 * (num(m, lock.years) ?? 0) : undefined),
      false,
    )
    for (const rule of blocks(bucketSetting(m, 'aws_s3_bucket_lifecycle_configuration', lb[0]), 'rule')) {
      const exp = block(rule, 'expiration')
      if (exp) atLeast(`aws_s3_bucket.${lb[0]} lifecycle expiration`, exp.days, true)
      const nc = block(rule, 'noncurrent_version_expiration')
      if (nc) atLeast(`aws_s3_bucket.${lb[0]} noncurrent expiration`, nc.noncurrent_days, true)
    }
  }
  const audit = num(m, m.variables.get('audit_retention_days')?.default)
  if (audit === undefined || audit < MIN_RETENTION_DAYS)
    p.push(
      `variable audit_retention_days (Moneta's audit log) must default to at least ${MIN_RETENTION_DAYS}`,
    )
  return p
}

function cmkEncryption(m: TfModel): string[] {
  const p: string[] = []
  const cmk = (what: string, v: unknown): void =>
    need(
      p,
      refersTo(m, v, 'aws_kms_key'),
      `${what} must be encrypted with a customer managed key (aws_kms_key)`,
    )
  for (const [n, db] of resourcesOf(m, 'aws_db_instance')) {
    need(p, isTrue(m, db.storage_encrypted), `aws_db_instance.${n}: storage_encrypted must be true`)
    cmk(`aws_db_instance.${n}`, db.kms_key_id)
    if (isTrue(m, db.performance_insights_enabled))
      cmk(`aws_db_instance.${n} performance insights`, db.performance_insights_kms_key_id)
  }
  for (const [n, r] of resourcesOf(m, 'aws_elasticache_replication_group')) {
    need(
      p,
      isTrue(m, r.at_rest_encryption_enabled),
      `aws_elasticache_replication_group.${n}: at_rest_encryption_enabled must be true`,
    )
    cmk(`aws_elasticache_replication_group.${n}`, r.kms_key_id)
  }
  for (const [n, k] of resourcesOf(m, 'aws_msk_cluster'))
    cmk(`aws_msk_cluster.${n}`, block(k, 'encryption_info')?.encryption_at_rest_kms_key_arn)
  for (const [n, s] of resourcesOf(m, 'aws_secretsmanager_secret'))
    cmk(`aws_secretsmanager_secret.${n}`, s.kms_key_id)
  for (const [n, g] of resourcesOf(m, 'aws_cloudwatch_log_group'))
    cmk(`aws_cloudwatch_log_group.${n}`, g.kms_key_id)
  for (const [n, e] of resourcesOf(m, 'aws_s3_bucket_server_side_encryption_configuration')) {
    const d = block(block(e, 'rule'), 'apply_server_side_encryption_by_default')
    need(
      p,
      resolve(m, d?.sse_algorithm) === 'aws:kms',
      `aws_s3_bucket_server_side_encryption_configuration.${n}: sse_algorithm must be aws:kms`,
    )
    cmk(`aws_s3_bucket_server_side_encryption_configuration.${n}`, d?.kms_master_key_id)
  }
  const vpc = m.modules.get('vpc')
  cmk('module.vpc flow-log log group', vpc?.flow_log_cloudwatch_log_group_kms_key_id)
  for (const [n] of resourcesOf(m, 'aws_s3_bucket'))
    need(
      p,
      !!bucketSetting(m, 'aws_s3_bucket_server_side_encryption_configuration', n),
      `aws_s3_bucket.${n} has no KMS encryption configuration`,
    )
  return p
}

function keyRotation(m: TfModel): string[] {
  const keys = resourcesOf(m, 'aws_kms_key')
  if (keys.length === 0) return ['no aws_kms_key']
  const p: string[] = []
  for (const [n, k] of keys) {
    need(p, isTrue(m, k.enable_key_rotation), `aws_kms_key.${n}: enable_key_rotation must be true`)
    const period = k.rotation_period_in_days === undefined ? 365 : num(m, k.rotation_period_in_days)
    need(
      p,
      period !== undefined && period <= 365,
      `aws_kms_key.${n}: rotation_period_in_days must be at most 365`,
    )
    const window = num(m, k.deletion_window_in_days)
    need(
      p,
      window !== undefined && window >= 7,
      `aws_kms_key.${n}: deletion_window_in_days must be set (7-30)`,
    )
  }
  return p
}

function albTls(m: TfModel): string[] {
  const listeners = resourcesOf(m, 'aws_lb_listener')
  if (listeners.length === 0) return ['no aws_lb_listener']
  const p: string[] = []
  for (const [n, l] of listeners) {
    need(
      p,
      resolve(m, l.protocol) === 'HTTPS',
      `aws_lb_listener.${n}: protocol must be HTTPS (no plain-HTTP listener)`,
    )
    const policy = resolve(m, l.ssl_policy)
    need(
      p,
      typeof policy === 'string' && TLS12_POLICY.test(policy),
      `aws_lb_listener.${n}: ssl_policy ${String(policy)} allows TLS below 1.2`,
    )
  }
  return p
}

function databaseTls(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, db] of resourcesOf(m, 'aws_db_instance')) {
    const group = /aws_db_parameter_group\.([A-Za-z0-9_-]+)/.exec(String(db.parameter_group_name))?.[1]
    const params = group ? blocks(m.resources.get(`aws_db_parameter_group.${group}`), 'parameter') : []
    const forceSsl = params.find((x) => x.name === 'rds.force_ssl')
    need(
      p,
      String(resolve(m, forceSsl?.value)) === '1',
      `aws_db_instance.${n}: its parameter group must set rds.force_ssl = 1`,
    )
  }
  return p
}

function redisTls(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, r] of resourcesOf(m, 'aws_elasticache_replication_group')) {
    need(
      p,
      isTrue(m, r.transit_encryption_enabled),
      `aws_elasticache_replication_group.${n}: transit_encryption_enabled must be true`,
    )
    const mode = resolve(m, r.transit_encryption_mode)
    need(
      p,
      mode === undefined || mode === 'required',
      `aws_elasticache_replication_group.${n}: transit_encryption_mode must be required`,
    )
  }
  return p
}

function kafkaTls(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, k] of resourcesOf(m, 'aws_msk_cluster')) {
    const t = block(block(k, 'encryption_info'), 'encryption_in_transit')
    need(p, resolve(m, t?.client_broker) === 'TLS', `aws_msk_cluster.${n}: client_broker must be TLS`)
    need(
      p,
      t?.in_cluster === undefined || isTrue(m, t.in_cluster),
      `aws_msk_cluster.${n}: in_cluster encryption must stay on`,
    )
  }
  return p
}

function waf(m: TfModel): string[] {
  const p: string[] = []
  const acls = resourcesOf(m, 'aws_wafv2_web_acl')
  if (acls.length === 0) return ['no aws_wafv2_web_acl']
  const managed = acls.flatMap(([, a]) =>
    blocks(a, 'rule').map((r) => block(block(r, 'statement'), 'managed_rule_group_statement')),
  )
  need(
    p,
    managed.some((s) => s?.vendor_name === 'AWS' && s.name === 'AWSManagedRulesCommonRuleSet'),
    'the web ACL must apply AWSManagedRulesCommonRuleSet',
  )
  const associated = resourcesOf(m, 'aws_wafv2_web_acl_association').some(
    ([, a]) => refersTo(m, a.resource_arn, 'aws_lb') && refersTo(m, a.web_acl_arn, 'aws_wafv2_web_acl'),
  )
  need(p, associated, 'the web ACL must be associated with the load balancer')
  return p
}

function strongAuth(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, db] of resourcesOf(m, 'aws_db_instance'))
    need(
      p,
      isTrue(m, db.iam_database_authentication_enabled),
      `aws_db_instance.${n}: iam_database_authentication_enabled must be true`,
    )
  for (const [n, r] of resourcesOf(m, 'aws_elasticache_replication_group'))
    need(
      p,
      r.auth_token !== undefined || r.user_group_ids !== undefined,
      `aws_elasticache_replication_group.${n}: needs an AUTH token or RBAC user group`,
    )
  for (const [n, k] of resourcesOf(m, 'aws_msk_cluster')) {
    const auth = block(k, 'client_authentication')
    need(p, isTrue(m, block(auth, 'sasl')?.iam), `aws_msk_cluster.${n}: IAM client authentication must be on`)
    need(p, auth?.unauthenticated === false, `aws_msk_cluster.${n}: unauthenticated access must be false`)
  }
  return p
}

function noPlainSecrets(m: TfModel): string[] {
  const p: string[] = []
  const env = resolve(m, '${local.moneta_plain_environment}')
  if (!env || typeof env !== 'object')
    return ['local.moneta_plain_environment (the container environment) is missing']
  for (const k of Object.keys(env))
    need(
      p,
      !SECRET_NAME.test(k),
      `${k} is a secret in the container's plain environment: use Secrets Manager`,
    )
  const required = resolve(m, '${local.moneta_required_secrets}') as Record<string, unknown> | undefined
  for (const k of ['MONETA_MASTER_KEY', 'DATABASE_URL', 'REDIS_URL'])
    need(
      p,
      refersTo(m, required?.[k], 'aws_secretsmanager_secret'),
      `${k} must come from an aws_secretsmanager_secret`,
    )
  const container = resolve(m, '${local.moneta_container}') as Record<string, unknown> | undefined
  need(
    p,
    String(container?.environment).includes('local.moneta_plain_environment'),
    'the container environment must be built from local.moneta_plain_environment',
  )
  need(
    p,
    String(container?.secrets).includes('local.moneta_secrets'),
    'the container secrets must be built from local.moneta_secrets',
  )
  need(
    p,
    blocks(m.variables.get('moneta_environment'), 'validation').length > 0,
    'variable moneta_environment must refuse secret-looking names (validation)',
  )
  return p
}

function notPublic(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, db] of resourcesOf(m, 'aws_db_instance'))
    need(p, db.publicly_accessible === false, `aws_db_instance.${n}: publicly_accessible must be false`)
  for (const [n, s] of resourcesOf(m, 'aws_ecs_service'))
    need(
      p,
      block(s, 'network_configuration')?.assign_public_ip === false,
      `aws_ecs_service.${n}: assign_public_ip must be false`,
    )
  for (const [n, g] of resourcesOf(m, 'aws_elasticache_subnet_group'))
    need(
      p,
      String(g.subnet_ids).includes('module.vpc.private_subnets'),
      `aws_elasticache_subnet_group.${n} must use the private subnets`,
    )
  return p
}

function detection(m: TfModel): string[] {
  const p: string[] = []
  need(
    p,
    resourcesOf(m, 'aws_guardduty_detector').some(([, d]) => isTrue(m, d.enable)),
    'no enabled aws_guardduty_detector',
  )
  need(
    p,
    m.variables.get('enable_guardduty')?.default === true,
    'variable enable_guardduty must default to true',
  )
  return p
}

function securityHub(m: TfModel): string[] {
  const p: string[] = []
  need(p, resourcesOf(m, 'aws_securityhub_account').length > 0, 'no aws_securityhub_account')
  need(
    p,
    resourcesOf(m, 'aws_securityhub_standards_subscription').some(([, s]) =>
      String(s.standards_arn).includes('standards/pci-dss/'),
    ),
    'Security Hub must subscribe to the PCI DSS standard',
  )
  need(
    p,
    m.variables.get('enable_security_hub')?.default === true,
    'variable enable_security_hub must default to true',
  )
  return p
}

function recoverable(m: TfModel): string[] {
  const p: string[] = []
  for (const [n, db] of resourcesOf(m, 'aws_db_instance')) {
    const days = num(m, db.backup_retention_period)
    need(
      p,
      days !== undefined && days >= 7,
      `aws_db_instance.${n}: backup_retention_period must be at least 7 days`,
    )
    need(p, isTrue(m, db.deletion_protection), `aws_db_instance.${n}: deletion_protection must be true`)
    need(p, db.skip_final_snapshot === false, `aws_db_instance.${n}: skip_final_snapshot must be false`)
  }
  return p
}

export const TERRAFORM_CONTROLS: readonly TerraformControl[] = [
  {
    id: '1.3.1/ingress',
    requirement: '1.3.1',
    title:
      'Inbound traffic to the CDE is restricted: nothing from 0.0.0.0/0 except HTTPS 443 to the load balancer',
    check: openIngress,
  },
  {
    id: '1.4.4/not-public',
    requirement: '1.4.4',
    title:
      'Stores of cardholder data are not reachable from untrusted networks (no public database, no public task IPs, private subnets)',
    check: notPublic,
  },
  {
    id: '3.5.1/cmk',
    requirement: '3.5.1',
    title:
      'Data at rest is encrypted with customer managed KMS keys (RDS, Redis, Kafka, secrets, logs, log bucket)',
    check: cmkEncryption,
  },
  {
    id: '3.7.4/rotation',
    requirement: '3.7.4',
    title: 'Keys are rotated at the end of their cryptoperiod: KMS rotation on, at most yearly',
    check: keyRotation,
  },
  {
    id: '4.2.1/alb-tls',
    requirement: '4.2.1',
    title: 'Strong cryptography on the public network: HTTPS only, TLS 1.2+ policy on the load balancer',
    check: albTls,
  },
  {
    id: '4.2.1/database-tls',
    requirement: '4.2.1',
    title: 'PostgreSQL forces TLS (rds.force_ssl = 1)',
    check: databaseTls,
  },
  { id: '4.2.1/redis-tls', requirement: '4.2.1', title: 'Redis requires TLS in transit', check: redisTls },
  {
    id: '4.2.1/kafka-tls',
    requirement: '4.2.1',
    title: 'Kafka (MSK) uses TLS between clients and brokers and inside the cluster',
    check: kafkaTls,
  },
  {
    id: '6.4.2/waf',
    requirement: '6.4.2',
    title: 'A web application firewall with AWS managed rules is in front of the public application',
    check: waf,
  },
  {
    id: '8.3.1/strong-auth',
    requirement: '8.3.1',
    title: 'Data stores authenticate every client: RDS IAM auth, Redis AUTH, MSK IAM',
    check: strongAuth,
  },
  {
    id: '8.6.2/no-plain-secrets',
    requirement: '8.6.2',
    title: 'No secret in the task definition: the master key and credentials come from Secrets Manager',
    check: noPlainSecrets,
  },
  {
    id: '10.2.1/flow-logs',
    requirement: '10.2.1',
    title: 'VPC flow logs (all traffic) go to CloudWatch Logs',
    check: flowLogs,
  },
  {
    id: '10.2.1/cloudtrail',
    requirement: '10.2.1',
    title: 'CloudTrail records every region and global service events, encrypted with a CMK',
    check: cloudTrail,
  },
  {
    id: '10.3.2/protected-logs',
    requirement: '10.3.2',
    title:
      'Audit log files cannot be modified or deleted: S3 object lock (compliance), versioning, no public access',
    check: protectedLogs,
  },
  {
    id: '10.3.4/log-validation',
    requirement: '10.3.4',
    title: 'Changes to audit logs are detected: CloudTrail log-file validation',
    check: logValidation,
  },
  {
    id: '10.4.1.1/security-hub',
    requirement: '10.4.1.1',
    title: 'Automated review: Security Hub with the PCI DSS standard',
    check: securityHub,
  },
  {
    id: '10.5.1/retention',
    requirement: '10.5.1',
    title: 'Audit logs are kept at least 12 months (log groups, flow logs, log bucket, Moneta audit log)',
    check: retention,
  },
  {
    id: '11.5.1/guardduty',
    requirement: '11.5.1',
    title: 'Intrusion detection: GuardDuty enabled',
    check: detection,
  },
  {
    id: '12.10.1/recoverable',
    requirement: '12.10.1',
    title: 'The database can be restored after an incident: backups kept, deletion protected, final snapshot',
    check: recoverable,
  },
]

/** Runs every control on the model. */
export function checkTerraform(model: TfModel): TerraformFinding[] {
  return TERRAFORM_CONTROLS.map((c) => {
    const problems = c.check(model)
    return { id: c.id, requirement: c.requirement, title: c.title, ok: problems.length === 0, problems }
  })
}
