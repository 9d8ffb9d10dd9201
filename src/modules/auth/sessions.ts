import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import { isRole, ROLE_GRANTS, SELF, type Role } from './permissions.js'

/** Who is calling: an API key or an operator session. Routes read it through tenantOf(req). */
export interface Principal {
  readonly kind: 'api_key' | 'session'
  readonly tenantId: string
  /** The API key id, or the session id for operators (rate limits count per this id). */
  readonly keyId: string
  /** Grants held (permissions, `area:*`, `*`): a key's scopes and role, an operator's role. */
  readonly scopes: readonly string[]
  /** For audit entries: `apikey:key_…` or `operator:op_…`. */
  readonly actor: string
  readonly role?: Role | undefined
  readonly operatorId?: string | undefined
  readonly email?: string | undefined
  /** The role needs MFA that is not enrolled yet: only enrolment (session:self) is allowed. */
  readonly mfaEnrollmentRequired?: boolean | undefined
  readonly expiresAt?: Date | undefined
}

/** Who hands out permissions (creates operators, creates, rotates or revokes keys): what they hold. */
export type Grantor = Pick<Principal, 'actor' | 'scopes'>

/** The CLI runs on the server with its database: it is the platform owner. */
export const CLI_GRANTOR: Grantor = { actor: 'cli', scopes: ['*', 'platform:admin', 'vault:detokenize'] }

export interface SessionPolicy {
  /** A session unused this long ends. */
  readonly idleMs: number
  /** A session ends this long after sign-in, however busy. */
  readonly absoluteMs: number
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 15 * 60_000, absoluteMs: 12 * 3_600_000 }

/** last_seen_at is written at most this often per session: reads must not turn into a write each. */
const TOUCH_EVERY_MS = 60_000

export const SESSION_PREFIX = 'ses_'
const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest()

interface SessionRow {
  tenant_id: string
  session_id: string
  operator_id: string
  token_hash: Buffer
  mfa_pending: boolean
  last_seen_at: Date
  expires_at: Date
  role: string
  email: string
}

export function createSessions(deps: { db: Db; clock: Clock; ids: IdGenerator; policy: SessionPolicy }) {
  const { db, clock, policy } = deps
  return {
    /** A new opaque token (256 bits); only its SHA-256 is stored. */
    async create(
      op: { tenantId: string; operatorId: string },
      opts: { mfaPending: boolean; origin: string },
      tx: Db = db,
    ): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
      const token = `${SESSION_PREFIX}${randomBytes(32).toString('base64url')}`
      const sessionId = deps.ids('sid')
      const now = clock.now()
      const expiresAt = new Date(now.getTime() + policy.absoluteMs)
      await sql`
        INSERT INTO auth_sessions (tenant_id, session_id, operator_id, token_hash, mfa_pending, origin,
                                   created_at, last_seen_at, expires_at)
        VALUES (${op.tenantId}, ${sessionId}, ${op.operatorId}, ${hashToken(token)}, ${opts.mfaPending},
                ${opts.origin}, ${now}, ${now}, ${expiresAt})`.execute(tx)
      return { token, sessionId, expiresAt }
    },

    /** The principal of a live session token, or undefined (unknown, revoked, idle or past its end). */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token)
      const r = await sql<SessionRow>`
        SELECT s.tenant_id, s.session_id, s.operator_id, s.token_hash, s.mfa_pending, s.last_seen_at,
               s.expires_at, o.role, o.email
        FROM auth_sessions s
        JOIN auth_operators o ON o.tenant_id = s.tenant_id AND o.operator_id = s.operator_id
        WHERE s.token_hash = ${hash} AND s.revoked_at IS NULL AND o.disabled_at IS NULL
        LIMIT 1`.execute(db)
      const row = r.rows[0]
      if (!row || !timingSafeEqual(Buffer.from(row.token_hash), hash)) return undefined
      const now = clock.now().getTime()
      if (now >= row.expires_at.getTime() || now - row.last_seen_at.getTime() >= policy.idleMs)
        return undefined
      if (!isRole(row.role)) return undefined
      if (now - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
        await sql`
          UPDATE auth_sessions SET last_seen_at = ${new Date(now)}
          WHERE tenant_id = ${row.tenant_id} AND session_id = ${row.session_id}`.execute(db)
      }
      return {
        kind: 'session',
        tenantId: row.tenant_id,
        keyId: row.session_id,
        scopes: row.mfa_pending ? [SELF] : ROLE_GRANTS[row.role],
        actor: `operator:${row.operator_id}`,
        role: row.role,
        operatorId: row.operator_id,
        email: row.email,
        mfaEnrollmentRequired: row.mfa_pending,
        expiresAt: row.expires_at,
      }
    },

    async revoke(tenantId: string, sessionId: string, tx: Db = db): Promise<void> {
      await sql`
        UPDATE auth_sessions SET revoked_at = ${clock.now()}
        WHERE tenant_id = ${tenantId} AND session_id = ${sessionId} AND revoked_at IS NULL`.execute(tx)
    },

    /** Ends every session of an operator (MFA reset, role change, lockout by an admin). */
    async revokeAll(tenantId: string, operatorId: string, tx: Db = db, except?: string): Promise<number> {
      const keep = except === undefined ? sql`` : sql`AND session_id <> ${except}`
      const r = await sql`
        UPDATE auth_sessions SET revoked_at = ${clock.now()}
        WHERE tenant_id = ${tenantId} AND operator_id = ${operatorId} AND revoked_at IS NULL ${keep}`.execute(
        tx,
      )
      return Number(r.numAffectedRows ?? 0n)
    },

    async markMfaDone(tenantId: string, sessionId: string, tx: Db = db): Promise<void> {
      await sql`
        UPDATE auth_sessions SET mfa_pending = false
        WHERE tenant_id = ${tenantId} AND session_id = ${sessionId}`.execute(tx)
    },
  }
}

export type Sessions = ReturnType<typeof createSessions>
