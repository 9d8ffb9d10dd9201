import type { AuthAuditPort } from './audit-port.js'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { AuditRecord } from '../audit/index.js'
import type { FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import type { Platform } from '../platform/index.js'
import { createApiKeys, type ApiKeys } from './api-keys.js'
import {
  authFailed,
  grantNotHeld,
  operatorExists,
  operatorNotFound,
  passwordPolicy,
  sessionRequired,
  tenantNotFound,
} from './auth.errors.js'
import { createFailureCounter } from './failures.js'
import { DEFAULT_ADDRESS_LOCKOUT, DEFAULT_OPERATOR_LOCKOUT, type LockoutPolicy } from './lockout.js'
import { createMfa } from './mfa.js'
import {
  listOperatorRows,
  normalizeEmail,
  operatorByEmail,
  operatorById,
  toOperator,
  type Operator,
} from './operators.js'
import {
  createPasswordHasher,
  DEFAULT_HASH_PARAMS,
  DEFAULT_PASSWORD_POLICY,
  passwordProblems,
  type HashParams,
  type PasswordHasher,
  type PasswordPolicy,
} from './passwords.js'
import { createOperatorAdmin, type OperatorAdmin } from './operator-admin.js'
import {
  effectiveGrants,
  isRole,
  MFA_REQUIRED_ROLES,
  missingGrants,
  ROLE_GRANTS,
  type Role,
} from './permissions.js'
import {
  createSessions,
  DEFAULT_SESSION_POLICY,
  SESSION_PREFIX,
  type Grantor,
  type Principal,
  type SessionPolicy,
} from './sessions.js'
import type { Enrolment } from './totp.js'

export interface AuthDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly platform: Platform
  readonly fieldCipher: FieldCipher
  readonly outbox?: Outbox | undefined
  readonly audit?: AuthAuditPort | undefined
  readonly logger?: Logger | undefined
  readonly hashParams?: HashParams | undefined
  /** Replaces the argon2id hasher made from hashParams (tests count its calls). */
  readonly hasher?: PasswordHasher | undefined
  readonly passwordPolicy?: PasswordPolicy | undefined
  readonly operatorLockout?: LockoutPolicy | undefined
  readonly addressLockout?: LockoutPolicy | undefined
  readonly sessions?: SessionPolicy | undefined
  /** Shown by authenticator apps next to the account (default "Moneta"). */
  readonly issuer?: string | undefined
}

export interface LoginInput {
  readonly email: string
  /** Needed only when the email is an operator of several tenants. */
  readonly tenant?: string | undefined
  readonly password: string
  /** A TOTP code (6 digits) or a recovery code; required once MFA is enrolled. */
  readonly code?: string | undefined
}

export interface LoginResult {
  readonly token: string
  readonly expiresAt: Date
  readonly operator: Operator
  /** The role needs MFA that is not enrolled: the session may only enrol (see /v1/auth/mfa/enroll). */
  readonly mfaEnrollmentRequired: boolean
}

export interface CreateOperatorInput {
  readonly email: string
  readonly password: string
  readonly role: Role
}

export interface Auth extends OperatorAdmin {
  readonly passwordPolicy: PasswordPolicy
  readonly apiKeys: ApiKeys
  /** PASSWORD_POLICY · OPERATOR_EXISTS · GRANT_NOT_HELD (the creator must hold every grant of the role). */
  createOperator(tenant: string, input: CreateOperatorInput, by: Grantor): Promise<Operator>
  listOperators(tenant: string): Promise<Operator[]>
  /** By email (in one tenant, or the only operator with it) or id within a tenant; for the CLI. */
  findOperator(
    ref: { email: string; tenant?: string | undefined } | { tenant: string; id: string },
  ): Promise<Operator | undefined>
  /** Clears failure counters and any lockout. OPERATOR_NOT_FOUND. */
  unlockOperator(tenant: string, operatorId: string, actor: string): Promise<void>
  /** Removes MFA and ends the operator's sessions. OPERATOR_NOT_FOUND. */
  resetMfa(tenant: string, operatorId: string, actor: string): Promise<void>
  /** Every failure is AUTH_FAILED with one message (see auth.errors.ts). */
  login(input: LoginInput, origin: string): Promise<LoginResult>
  /** The principal of an API key (mk_…) or session token (ses_…), or undefined. */
  authenticate(token: string): Promise<Principal | undefined>
  logout(principal: Principal): Promise<void>
  /** SESSION_REQUIRED · MFA_ALREADY_ENROLLED. */
  startMfaEnrolment(principal: Principal): Promise<Enrolment>
  /** MFA_CODE_INVALID · MFA_NOT_STARTED · MFA_ALREADY_ENROLLED. Returns ten single-use recovery codes. */
  activateMfa(principal: Principal, code: string): Promise<{ recoveryCodes: string[] }>
}

/** Where an administrative action came from, for the audit log: the CLI acts as `cli`. */
const originOf = (actor: string): string => (actor === 'cli' ? 'cli' : 'api')

export function createAuth(deps: AuthDeps): Auth {
  const { db, clock } = deps
  const hasher = deps.hasher ?? createPasswordHasher(deps.hashParams ?? DEFAULT_HASH_PARAMS)
  const policy = deps.passwordPolicy ?? DEFAULT_PASSWORD_POLICY
  const failures = createFailureCounter({
    db,
    outbox: deps.outbox,
    audit: deps.audit,
    logger: deps.logger,
    operatorPolicy: deps.operatorLockout ?? DEFAULT_OPERATOR_LOCKOUT,
    addressPolicy: deps.addressLockout ?? DEFAULT_ADDRESS_LOCKOUT,
  })
  const sessions = createSessions({
    db,
    clock,
    ids: deps.ids,
    policy: deps.sessions ?? DEFAULT_SESSION_POLICY,
  })
  const mfa = createMfa({
    db,
    clock,
    fieldCipher: deps.fieldCipher,
    outbox: deps.outbox,
    audit: deps.audit,
    issuer: deps.issuer ?? 'Moneta',
  })
  const apiKeys = createApiKeys({ db, clock, ids: deps.ids, platform: deps.platform, audit: deps.audit })
  const record = (r: Omit<AuditRecord, 'outcome'> & { outcome?: AuditRecord['outcome'] }) =>
    deps.audit?.record({ outcome: 'success', ...r })
  const recordIn = async (tx: Db, r: Omit<AuditRecord, 'outcome'> & { outcome?: AuditRecord['outcome'] }) =>
    deps.audit?.recordIn(tx, { outcome: 'success', ...r })

  const operatorAdmin = createOperatorAdmin({
    db,
    clock,
    hasher,
    policy,
    failures,
    revokeSessions: (tenant, operatorId, tx, except) => sessions.revokeAll(tenant, operatorId, tx, except),
    revokeKeysCreatedBy: (tenant, actor, tx) => apiKeys.revokeCreatedBy(tenant, actor, tx),
    forgetApiKeys: () => deps.platform.forgetApiKeys(),
    record,
    recordIn: async (tx, r) => {
      await recordIn(tx, r)
    },
  })

  async function requireOperator(tenant: string, id: string) {
    const row = await operatorById(db, tenant, id)
    if (!row) throw operatorNotFound(id)
    return row
  }

  return {
    passwordPolicy: policy,
    apiKeys,
    ...operatorAdmin,

    async createOperator(tenant, input, by) {
      const actor = by.actor
      const missing = missingGrants(by.scopes, ROLE_GRANTS[input.role])
      if (missing.length > 0) throw grantNotHeld(missing)
      const email = normalizeEmail(input.email)
      const problems = passwordProblems(input.password, policy, email)
      if (problems.length > 0) throw passwordPolicy(problems)
      const tenantRow = await sql`SELECT 1 FROM tenants WHERE tenant_id = ${tenant}`.execute(db)
      if (tenantRow.rows.length === 0) throw tenantNotFound(tenant)
      const id = deps.ids('op')
      const hash = await hasher.hash(input.password)
      await db.transaction().execute(async (tx) => {
        const r = await sql`
          INSERT INTO auth_operators (tenant_id, operator_id, email, password_hash, role, created_at)
          VALUES (${tenant}, ${id}, ${email}, ${hash}, ${input.role}, ${clock.now()})
          ON CONFLICT (tenant_id, email) WHERE disabled_at IS NULL DO NOTHING`.execute(tx)
        if (Number(r.numAffectedRows ?? 0n) !== 1) throw operatorExists()
        await recordIn(tx, {
          tenant,
          actor,
          action: 'auth.operator.create',
          resource: id,
          origin: originOf(actor),
          details: { role: input.role },
        })
      })
      return toOperator((await operatorById(db, tenant, id))!, clock.now())
    },

    async listOperators(tenant) {
      const now = clock.now()
      return (await listOperatorRows(db, tenant)).map((r) => toOperator(r, now))
    },

    async findOperator(ref) {
      const row =
        'email' in ref
          ? await operatorByEmail(db, ref.email, ref.tenant)
          : await operatorById(db, ref.tenant, ref.id)
      return row ? toOperator(row, clock.now()) : undefined
    },

    async unlockOperator(tenant, operatorId, actor) {
      await requireOperator(tenant, operatorId)
      await db.transaction().execute(async (tx) => {
        await failures.clear({ tenantId: tenant, operatorId }, tx)
        await recordIn(tx, {
          tenant,
          actor,
          action: 'auth.operator.unlock',
          resource: operatorId,
          origin: originOf(actor),
        })
      })
    },

    async resetMfa(tenant, operatorId, actor) {
      // Another tenant's operator id answers 404 like an unknown one (the reset itself is tenant-scoped).
      await requireOperator(tenant, operatorId)
      await mfa.reset(tenant, operatorId, async (tx) => {
        await sessions.revokeAll(tenant, operatorId, tx)
        await recordIn(tx, {
          tenant,
          actor,
          action: 'auth.mfa.reset',
          resource: operatorId,
          origin: originOf(actor),
        })
      })
    },

    async login(input, origin) {
      const row = await operatorByEmail(db, input.email, input.tenant)
      const target = row ? { tenantId: row.tenant_id, operatorId: row.operator_id } : undefined
      // A locked account (or address) runs no argon2 at all: every attempt would otherwise cost a
      // hash. It waits as long as a verification takes instead, so timing does not show the lock.
      // Unknown emails cost the same argon2 work as known ones, so timing does not reveal which exist.
      const lockedBefore = await failures.locked(target, origin, clock.now())
      let passwordOk = false
      if (lockedBefore) await hasher.pace()
      else if (row) passwordOk = await hasher.verify(row.password_hash, input.password)
      else await hasher.dummyVerify(input.password)
      const fail = async (counts: boolean): Promise<never> => {
        if (counts) await failures.record(target, origin, clock.now())
        if (row) {
          record({
            tenant: row.tenant_id,
            actor: `operator:${row.operator_id}`,
            action: 'auth.session.create',
            resource: row.operator_id,
            outcome: 'denied',
            origin,
          })
        }
        throw authFailed()
      }
      // Read again after the slow hash, so a lock set by a concurrent failure meanwhile is seen.
      if (lockedBefore) {
        await failures.record(undefined, origin, clock.now()) // the address still counts it
        return fail(false)
      }
      if (await failures.locked(target, origin, clock.now())) return fail(!passwordOk)
      if (!row || !passwordOk) return fail(true)
      if (row.mfa_enrolled_at) {
        // No code is not a guess: a client may ask for the code after the password (nothing counted).
        if (!input.code) return fail(false)
        const result = await mfa.check(row, input.code, origin)
        if (result !== 'ok') return fail(true)
      }
      await failures.clear({ tenantId: row.tenant_id, operatorId: row.operator_id })
      if (hasher.needsRehash(row.password_hash)) {
        await sql`
          UPDATE auth_operators SET password_hash = ${await hasher.hash(input.password)}
          WHERE tenant_id = ${row.tenant_id} AND operator_id = ${row.operator_id}`.execute(db)
      }
      const operator = toOperator(row, clock.now())
      const mfaEnrollmentRequired = !operator.mfaEnrolled && MFA_REQUIRED_ROLES.has(operator.role)
      // The session and its entry commit together: no sign-in without its audit entry.
      const session = await db.transaction().execute(async (tx) => {
        const s = await sessions.create(
          { tenantId: row.tenant_id, operatorId: row.operator_id },
          { mfaPending: mfaEnrollmentRequired, origin },
          tx,
        )
        await recordIn(tx, {
          tenant: row.tenant_id,
          actor: `operator:${row.operator_id}`,
          action: 'auth.session.create',
          resource: s.sessionId,
          origin,
          details: { mfaEnrollmentRequired },
        })
        return s
      })
      return { token: session.token, expiresAt: session.expiresAt, operator, mfaEnrollmentRequired }
    },

    async authenticate(token) {
      if (token.startsWith(SESSION_PREFIX)) return sessions.authenticate(token)
      const key = await deps.platform.authenticate(token)
      if (!key) return undefined
      const role = key.role && isRole(key.role) ? key.role : undefined
      return {
        kind: 'api_key',
        tenantId: key.tenantId,
        keyId: key.keyId,
        scopes: effectiveGrants(role, key.scopes),
        actor: `apikey:${key.keyId}`,
        role,
      }
    },

    async logout(principal) {
      if (principal.kind !== 'session') throw sessionRequired()
      await db.transaction().execute(async (tx) => {
        await sessions.revoke(principal.tenantId, principal.keyId, tx)
        await recordIn(tx, {
          tenant: principal.tenantId,
          actor: principal.actor,
          action: 'auth.session.revoke',
          resource: principal.keyId,
          origin: 'api',
        })
      })
    },

    async startMfaEnrolment(principal) {
      if (principal.kind !== 'session' || !principal.operatorId) throw sessionRequired()
      return mfa.startEnrolment(principal.tenantId, principal.operatorId)
    },

    async activateMfa(principal, code) {
      if (principal.kind !== 'session' || !principal.operatorId) throw sessionRequired()
      // Proving the new factor lifts this session's enrolment-only limit.
      const recoveryCodes = await mfa.activate(principal.tenantId, principal.operatorId, code, (tx) =>
        sessions.markMfaDone(principal.tenantId, principal.keyId, tx),
      )
      return { recoveryCodes }
    },
  }
}
