import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkTerraform, TERRAFORM_CONTROLS, type TerraformFinding } from './terraform-policy.js'
import { loadTerraform, modelFromTexts } from './terraform-model.js'

/**
 * The PCI DSS controls of deploy/terraform/aws, as tests: each control holds on the module as
 * committed, and each is shown to catch its own removal — the module is copied, the control taken
 * out of the copy, and exactly that check must fail.
 */
const MODULE_DIR = resolve(import.meta.dirname, '../../../deploy/terraform/aws')

let texts: Map<string, string>
let findings: TerraformFinding[]

beforeAll(async () => {
  texts = new Map()
  for (const n of (await readdir(MODULE_DIR)).filter((f) => f.endsWith('.tf')))
    texts.set(n, await readFile(join(MODULE_DIR, n), 'utf8'))
  findings = checkTerraform(await loadTerraform(MODULE_DIR))
})

describe('deploy/terraform/aws meets PCI DSS v4.0.1', () => {
  for (const c of TERRAFORM_CONTROLS) {
    it(`PCI DSS ${c.requirement} — ${c.title}`, () => {
      const f = findings.find((x) => x.id === c.id)!
      expect(f.problems).toEqual([])
      expect(f.ok).toBe(true)
    })
  }
})

/** One way to take each control out: [control id, file, text in the module, weaker text]. */
const REMOVALS: readonly [string, string, string, string][] = [
  [
    '1.3.1/ingress',
    'network.tf',
    'from_port         = 443\n  to_port           = 443\n  cidr_ipv4         = each.value',
    'from_port         = 5432\n  to_port           = 5432\n  cidr_ipv4         = each.value',
  ],
  ['1.4.4/not-public', 'database.tf', 'publicly_accessible    = false', 'publicly_accessible    = true'],
  ['3.5.1/cmk', 'database.tf', '  kms_key_id            = aws_kms_key.data.arn\n', ''],
  [
    '3.7.4/rotation',
    'kms.tf',
    'description             = "${var.name}: RDS, ElastiCache, MSK and Secrets Manager encryption"\n  enable_key_rotation     = true',
    'description             = "${var.name}: RDS, ElastiCache, MSK and Secrets Manager encryption"\n  enable_key_rotation     = false',
  ],
  [
    '4.2.1/alb-tls',
    'variables.tf',
    'default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"',
    'default     = "ELBSecurityPolicy-2016-08"',
  ],
  [
    '4.2.1/database-tls',
    'database.tf',
    'name  = "rds.force_ssl"\n    value = "1"',
    'name  = "rds.force_ssl"\n    value = "0"',
  ],
  ['4.2.1/redis-tls', 'cache.tf', 'transit_encryption_enabled = true', 'transit_encryption_enabled = false'],
  ['4.2.1/kafka-tls', 'kafka.tf', 'client_broker = "TLS"', 'client_broker = "TLS_PLAINTEXT"'],
  [
    '6.4.2/waf',
    'edge.tf',
    'resource "aws_wafv2_web_acl_association" "moneta" {\n  resource_arn = aws_lb.moneta.arn\n  web_acl_arn  = aws_wafv2_web_acl.moneta.arn\n}',
    '',
  ],
  [
    '8.3.1/strong-auth',
    'database.tf',
    'iam_database_authentication_enabled = true',
    'iam_database_authentication_enabled = false',
  ],
  [
    '8.6.2/no-plain-secrets',
    'service.tf',
    'NODE_ENV                    = "production"',
    'NODE_ENV                    = "production"\n    MONETA_MASTER_KEY           = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"',
  ],
  [
    '10.2.1/flow-logs',
    'network.tf',
    'enable_flow_log                                 = true',
    'enable_flow_log                                 = false',
  ],
  [
    '10.2.1/cloudtrail',
    'logging.tf',
    'is_multi_region_trail         = true',
    'is_multi_region_trail         = false',
  ],
  ['10.3.2/protected-logs', 'logging.tf', 'object_lock_enabled = true', 'object_lock_enabled = false'],
  [
    '10.3.4/log-validation',
    'logging.tf',
    'enable_log_file_validation    = true',
    'enable_log_file_validation    = false',
  ],
  [
    '10.4.1.1/security-hub',
    'detection.tf',
    'standards/pci-dss/v/',
    'standards/cis-aws-foundations-benchmark/v/',
  ],
  [
    '10.5.1/retention',
    'variables.tf',
    'type        = number\n  default     = 400\n\n  validation {\n    condition     = contains(',
    'type        = number\n  default     = 90\n\n  validation {\n    condition     = contains(',
  ],
  [
    '11.5.1/guardduty',
    'detection.tf',
    '  enable                       = true\n',
    '  enable                       = false\n',
  ],
  [
    '12.10.1/recoverable',
    'database.tf',
    'deletion_protection       = true',
    'deletion_protection       = false',
  ],
]

describe('each check fails when its control is removed from a copy of the module', () => {
  it('covers every control', () => {
    expect(new Set(REMOVALS.map((r) => r[0]))).toEqual(new Set(TERRAFORM_CONTROLS.map((c) => c.id)))
  })

  for (const [id, file, from, to] of REMOVALS) {
    const c = TERRAFORM_CONTROLS.find((x) => x.id === id)!
    it(`PCI DSS ${c.requirement} (${id}) fails without its control`, async () => {
      const text = texts.get(file)!
      // The edit must hit exactly one place: if the module changes, this test is updated with it.
      expect(text.split(from).length - 1, `"${from}" once in ${file}`).toBe(1)
      const weakened = new Map(texts).set(file, text.replace(from, to))
      const failing = checkTerraform(await modelFromTexts(weakened)).filter((f) => !f.ok)
      expect(failing.map((f) => f.id)).toEqual([id])
    })
  }
})

describe('the checker on a copied folder', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'moneta-tf-'))
    await cp(MODULE_DIR, dir, { recursive: true })
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it('reads a copy from disk, and a second open ingress rule is caught (PCI DSS 1.3.1)', async () => {
    expect(checkTerraform(await loadTerraform(dir)).every((f) => f.ok)).toBe(true)
    await writeFile(
      join(dir, 'debug.tf'),
      `resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.app.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "0.0.0.0/0"
}
`,
    )
    const failing = checkTerraform(await loadTerraform(dir)).filter((f) => !f.ok)
    expect(failing.map((f) => f.id)).toEqual(['1.3.1/ingress'])
    expect(failing[0]!.problems.join()).toContain('aws_vpc_security_group_ingress_rule.ssh')
  })

  it('refuses invalid HCL, as terraform would', async () => {
    await writeFile(join(dir, 'broken.tf'), 'resource "aws_s3_bucket" "x" {\n  bucket = \n')
    await expect(loadTerraform(dir)).rejects.toThrow(/broken\.tf/)
  })
})
