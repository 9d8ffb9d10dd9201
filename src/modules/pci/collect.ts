import { statSync } from 'node:fs'
import { relative, resolve, sep } from 'node:path'
import { Writable } from 'node:stream'
import { sql, type RawBuilder } from 'kysely'
import pino, { type LoggerOptions } from 'pino'
import type { Config } from '../../config.js'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { Audit } from '../audit/index.js'
import { grants, MFA_REQUIRED_ROLES, ROLE_GRANTS } from '../auth/index.js'
import type { Keyring } from '../crypto/index.js'
import type { PciFacts } from './facts.js'

/** Reaching these is reaching cardholder data: the card vault and the payments that carry cards. */
export const CHD_PERMISSIONS = [
  'vault:read',
  'vault:write',
  'vault:detokenize',
  'payments:read',
  'payments:write',
]
/** Moneta's cryptoperiod for a data key: a year (NIST SP 800-57 suggests ≤ 2 years for data keys). */
export const CRYPTOPERIOD_DAYS = 365
/** NIST SP 800-38D: at most 2^32 random-nonce GCM encryptions per key. */
export const MAX_GCM_USAGE = 2n ** 32n

/** A secrets scanner (src/modules/secrets): findings are already redacted. */
export interface SecretsScanPort {
  scan(
    path: string,
  ): Promise<{ findings: readonly { path: string; line: number; ruleId: string; redacted: string }[] }>
}

export interface CollectDeps {
  readonly config: Config
  readonly db: Db
  readonly clock: Clock
  readonly keyring: Pick<Keyring, 'list' | 'kekId'>
  readonly audit: Pick<Audit, 'flush' | 'tenants' | 'verify'>
  /** The server logger's settings (serverLoggerOptions in src/app.ts), probed with a planted record. */
  readonly loggerOptions: LoggerOptions
  /** Role → grants and the MFA roles as enforced (defaults: the auth module's tables). */
  readonly roleGrants?: Readonly<Record<string, readonly string[]>>
  readonly mfaRoles?: ReadonlySet<string>
  readonly secrets?: { readonly scanner: SecretsScanPort; readonly paths: readonly string[] }
  /** Only these tenants' operators, cards and audit logs (default: the whole installation). */
  readonly tenants?: readonly string[]
}

/** Reads the installation's configuration and state into facts. Read-only, except the audit flush. */
export async function collectFacts(deps: CollectDeps): Promise<PciFacts> {
  const { config } = deps
  const now = deps.clock.now()
  const roleGrants: Readonly<Record<string, readonly string[]>> = deps.roleGrants ?? ROLE_GRANTS
  const mfaRoles = [...(deps.mfaRoles ?? MFA_REQUIRED_ROLES)]
  const roles = Object.keys(roleGrants)
  const chdRoles = roles.filter((r) => CHD_PERMISSIONS.some((p) => grants(roleGrants[r] ?? [], p)))
  return {
    now: now.toISOString(),
    settings: settingsOf(config),
    masterKey: { kekId: deps.keyring.kekId, ...masterKeySource(config) },
    access: {
      roleGrants,
      mfaRoles,
      chdPermissions: CHD_PERMISSIONS,
      chdRoles,
      detokenizeRoles: roles.filter((r) => grants(roleGrants[r] ?? [], 'vault:detokenize')),
      // The OIDC route hands MFA_REQUIRED_ROLES to the sign-in policy (src/api/routes/oidc.ts).
      oidc: { configured: config.oidc !== undefined, secondFactorRequiredFor: mfaRoles },
      operators: await operatorsByRole(deps.db, now, new Set(mfaRoles), deps.tenants),
    },
    vault: await vaultState(deps.db, deps.tenants),
    logging: probeLogger(deps.loggerOptions),
    keys: await keyState(deps.keyring, now),
    audit: { logs: await auditState(deps.audit, deps.tenants) },
    secretsScan: deps.secrets ? await scanSecrets(deps.secrets) : undefined,
  }
}

function settingsOf(c: Config): PciFacts['settings'] {
  const url = (raw: string | undefined) => {
    try {
      return raw ? new URL(raw) : undefined
    } catch {
      return undefined
    }
  }
  const db = url(c.databaseUrl)
  const redis = url(c.redisUrl)
  const sslmode = db?.searchParams.get('sslmode') ?? undefined
  return {
    sessionIdleMinutes: c.auth.sessionIdleMs / 60_000,
    sessionMaxHours: c.auth.sessionMaxMs / 3_600_000,
    passwordMinLength: c.auth.passwordMinLength,
    passwordRequireLettersAndDigits: c.auth.passwordRequireLettersAndDigits,
    lockoutThreshold: c.auth.lockoutThreshold,
    lockoutMinutes: c.auth.lockoutMs / 60_000,
    auditRetentionDays: c.auditRetentionDays,
    publicUrl: c.banking.publicUrl,
    trustProxy: c.trustProxy,
    nodeEnv: c.provenance.nodeEnv,
    database: db
      ? { kind: 'postgres', host: db.hostname, ...(sslmode ? { sslmode } : {}) }
      : { kind: 'pglite' },
    redis: redis ? { tls: redis.protocol === 'rediss:', host: redis.hostname } : undefined,
    configFile: c.provenance.configFile,
    secretsFromFile: c.provenance.secretsFromFile,
  }
}

/** Where the key-encrypting key comes from (mirrors masterKeyStore in src/modules/crypto). */
function masterKeySource(c: Config): Omit<PciFacts['masterKey'], 'kekId'> {
  if (c.masterKey)
    return {
      source: c.provenance.secretsFromFile.includes('MONETA_MASTER_KEY') ? 'config-file' : 'environment',
    }
  if (!c.masterKeyFile && c.dataDir.startsWith('memory://')) return { source: 'ephemeral' }
  const path = resolve(c.masterKeyFile ?? resolve(c.dataDir, 'master.key'))
  let mode = 'missing'
  try {
    mode = (statSync(path).mode & 0o777).toString(8).padStart(4, '0')
  } catch {
    // reported as "missing": the keyring could not have started from it
  }
  const rel = c.dataDir.startsWith('memory://') ? '..' : relative(resolve(c.dataDir), path)
  const besideData = !rel.startsWith(`..${sep}`) && rel !== '..'
  return { source: c.masterKeyFile ? 'key-file' : 'generated-file', file: { path, mode, besideData } }
}

async function operatorsByRole(
  db: Db,
  now: Date,
  mfaRoles: ReadonlySet<string>,
  tenants: readonly string[] | undefined,
): Promise<PciFacts['access']['operators']> {
  // Installation-wide unless scoped: the report covers every tenant (grouped by tenant in the evidence).
  const r = await sql<{
    tenant_id: string
    role: string
    active: string
    enrolled: string
    unprotected: string
  }>`
    SELECT o.tenant_id, o.role, count(*) AS active, count(o.mfa_enrolled_at) AS enrolled,
      count(*) FILTER (WHERE o.mfa_enrolled_at IS NULL AND EXISTS (
        SELECT 1 FROM auth_sessions s
        WHERE s.tenant_id = o.tenant_id AND s.operator_id = o.operator_id AND NOT s.mfa_pending
          AND s.revoked_at IS NULL AND s.expires_at > ${now})) AS unprotected
    FROM auth_operators o WHERE o.disabled_at IS NULL ${inTenants(sql`o.tenant_id`, tenants)}
    GROUP BY o.tenant_id, o.role ORDER BY o.tenant_id, o.role`.execute(db)
  return r.rows.map((x) => ({
    tenant: x.tenant_id,
    role: x.role,
    active: Number(x.active),
    enrolled: Number(x.enrolled),
    // Roles without MFA have full sessions by design; only MFA roles count as unprotected.
    unprotectedSessions: mfaRoles.has(x.role) ? Number(x.unprotected) : 0,
  }))
}

const inTenants = (column: RawBuilder<unknown>, tenants: readonly string[] | undefined) =>
  tenants ? sql`AND ${column} IN (${sql.join(tenants.map((t) => sql`${t}`))})` : sql``

const PAN_RUN = /\d{12,19}/
const VERSION_1 = 0x01

async function vaultState(db: Db, tenants: readonly string[] | undefined): Promise<PciFacts['vault']> {
  const out = { cards: 0, notCiphertext: 0, clearPan: 0, overlongDisplay: 0 }
  let after: [string, string] = ['', '']
  for (;;) {
    const page = await sql<{
      tenant_id: string
      token: string
      pan_ct: Uint8Array
      bin: string
      last4: string
    }>`
      SELECT tenant_id, token, pan_ct, bin, last4 FROM vault_cards
      WHERE (tenant_id, token) > (${after[0]}, ${after[1]}) ${inTenants(sql`tenant_id`, tenants)}
      ORDER BY tenant_id, token LIMIT 1000`.execute(db)
    for (const row of page.rows) {
      const ct = Buffer.from(row.pan_ct)
      out.cards++
      if (ct.length < 29 || ct[0] !== VERSION_1) out.notCiphertext++
      if (PAN_RUN.test(ct.toString('latin1'))) out.clearPan++
      if (row.bin.length > 8 || row.last4.length > 4) out.overlongDisplay++
    }
    const last = page.rows.at(-1)
    if (!last) return out
    after = [last.tenant_id, last.token]
  }
}

/** Logs a planted record through the server's settings into memory and looks for what leaked. */
function probeLogger(options: LoggerOptions): PciFacts['logging'] {
  const planted = {
    pan: '4111111111111111',
    secret: 'sk_live_pciprobe0000000000000000',
    password: 'pci-probe-password-0000',
    token: 'ses_pciprobe00000000000000000000',
  }
  let output = ''
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      output += chunk.toString()
      done()
    },
  })
  const logger = pino({ ...options, level: 'info' }, sink)
  logger.info(
    {
      card: { number: planted.pan },
      stripe: { secretKey: planted.secret },
      password: planted.password,
      authorization: `Bearer ${planted.token}`,
    },
    `charging card ${planted.pan}`,
  )
  const leaked = Object.entries(planted)
    .filter(([, v]) => output.includes(v))
    .map(([k]) => `the ${k}`)
  const shown = output.replace(/"(time|pid|hostname)":[^,}]*,?/g, '').trim()
  return { probeOutput: shown.length > 400 ? `${shown.slice(0, 400)}…` : shown, leaked }
}

async function keyState(keyring: Pick<Keyring, 'list'>, now: Date): Promise<PciFacts['keys']> {
  const keys = (await keyring.list()).filter((k) => k.purpose === 'field')
  const primary = keys.find((k) => k.status === 'primary')
  return {
    cryptoperiodDays: CRYPTOPERIOD_DAYS,
    maxUsage: MAX_GCM_USAGE.toString(),
    fieldKeys: keys.length,
    primary: primary && {
      keyId: primary.keyId,
      ageDays: Math.floor((now.getTime() - primary.createdAt.getTime()) / 86_400_000),
      usage: primary.usage.toString(),
      usageLimit: primary.usageLimit.toString(),
    },
  }
}

async function auditState(
  audit: Pick<Audit, 'flush' | 'tenants' | 'verify'>,
  only: readonly string[] | undefined,
): Promise<PciFacts['audit']['logs']> {
  await audit.flush()
  const out = []
  for (const tenant of (await audit.tenants()).filter((t) => !only || only.includes(t))) {
    const r = await audit.verify(tenant)
    const first = r.findings[0]
    out.push({
      tenant,
      ok: r.ok,
      entries: r.entries,
      checkpointsVerified: r.checkpointsVerified,
      findings: r.findings.length,
      ...(first ? { firstFinding: `${first.kind} at seq ${first.seq}: ${first.message}` } : {}),
    })
  }
  return out
}

async function scanSecrets(
  s: NonNullable<CollectDeps['secrets']>,
): Promise<NonNullable<PciFacts['secretsScan']>> {
  const findings: NonNullable<PciFacts['secretsScan']>['findings'][number][] = []
  for (const path of s.paths) {
    const r = await s.scanner.scan(path)
    findings.push(
      ...r.findings.map((f) => ({ path: f.path, line: f.line, ruleId: f.ruleId, redacted: f.redacted })),
    )
  }
  return { paths: s.paths, findings }
}
