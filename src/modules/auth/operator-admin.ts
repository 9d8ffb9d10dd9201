import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { AuditRecord } from '../audit/index.js'
import { authFailed, grantNotHeld, operatorNotFound, passwordPolicy, sessionRequired } from './auth.errors.js'
import type { createFailureCounter } from './failures.js'
import { operatorById, toOperator, type Operator, type OperatorRow } from './operators.js'
import { passwordProblems, type PasswordHasher, type PasswordPolicy } from './passwords.js'
import { isRole, missingGrants, ROLE_GRANTS, type Role } from './permissions.js'
import type { Grantor, Principal } from './sessions.js'

/**
 * Offboarding and account changes: disable, role change, password reset by an admin and password
 * change by the operator. Each ends the operator's sessions (a role or password change must not
 * leave a session running under the old grants or the old secret), and each is audited. An admin may
 * act only on an operator whose role's grants they hold, and grant only a role they hold.
 */
export interface OperatorAdmin {
  /** Sets disabled_at, ends every session, revokes every API key the operator created. OPERATOR_NOT_FOUND · GRANT_NOT_HELD. */
  disableOperator(
    tenant: string,
    operatorId: string,
    by: Grantor,
  ): Promise<{ sessions: number; apiKeys: number }>
  /** OPERATOR_NOT_FOUND · GRANT_NOT_HELD. Ends the operator's sessions. */
  changeRole(tenant: string, operatorId: string, role: Role, by: Grantor): Promise<Operator>
  /** An admin sets a new password (PASSWORD_POLICY · OPERATOR_NOT_FOUND · GRANT_NOT_HELD); ends the sessions. */
  resetPassword(tenant: string, operatorId: string, password: string, by: Grantor): Promise<void>
  /** The operator, with the current password (AUTH_FAILED, counted like a failed sign-in); ends their other sessions. */
  changeOwnPassword(principal: Principal, current: string, next: string, origin: string): Promise<void>
}

type AuditEntryInput = Omit<AuditRecord, 'outcome'> & { outcome?: AuditRecord['outcome'] }

export interface OperatorAdminDeps {
  readonly db: Db
  readonly clock: Clock
  readonly hasher: PasswordHasher
  readonly policy: PasswordPolicy
  readonly failures: ReturnType<typeof createFailureCounter>
  readonly revokeSessions: (tenant: string, operatorId: string, tx: Db, except?: string) => Promise<number>
  readonly revokeKeysCreatedBy: (tenant: string, actor: string, tx: Db) => Promise<number>
  /** After the revocations commit: this process stops answering those keys from memory. */
  readonly forgetApiKeys: () => void
  /** Writes what changes no state (a refused password change). */
  readonly record: (r: AuditEntryInput) => void
  /** Writes a change's entry in the change's own transaction. */
  readonly recordIn: (tx: Db, r: AuditEntryInput) => Promise<void>
}

const originOf = (actor: string): string => (actor === 'cli' ? 'cli' : 'api')

export function createOperatorAdmin(deps: OperatorAdminDeps): OperatorAdmin {
  const { db, clock } = deps

  async function target(
    tenant: string,
    operatorId: string,
    by: Grantor,
    also: Role[] = [],
  ): Promise<OperatorRow> {
    const row = await operatorById(db, tenant, operatorId)
    if (!row) throw operatorNotFound(operatorId)
    const roles = [row.role, ...also].filter(isRole)
    const missing = missingGrants(
      by.scopes,
      roles.flatMap((r) => ROLE_GRANTS[r]),
    )
    if (missing.length > 0) throw grantNotHeld(missing)
    return row
  }

  /** Sets the password, ends sessions and writes the entry `entry(sessionsEnded)` in one transaction. */
  async function setPassword(
    row: OperatorRow,
    password: string,
    entry: (sessions: number) => AuditEntryInput,
    except?: string,
  ): Promise<number> {
    const problems = passwordProblems(password, deps.policy, row.email)
    if (problems.length > 0) throw passwordPolicy(problems)
    const hash = await deps.hasher.hash(password)
    return db.transaction().execute(async (tx) => {
      await sql`
        UPDATE auth_operators SET password_hash = ${hash}
        WHERE tenant_id = ${row.tenant_id} AND operator_id = ${row.operator_id}`.execute(tx)
      const sessions = await deps.revokeSessions(row.tenant_id, row.operator_id, tx, except)
      await deps.recordIn(tx, entry(sessions))
      return sessions
    })
  }

  return {
    async disableOperator(tenant, operatorId, by) {
      const row = await target(tenant, operatorId, by)
      const result = await db.transaction().execute(async (tx) => {
        await sql`
          UPDATE auth_operators SET disabled_at = ${clock.now()}
          WHERE tenant_id = ${tenant} AND operator_id = ${operatorId} AND disabled_at IS NULL`.execute(tx)
        const sessions = await deps.revokeSessions(tenant, operatorId, tx)
        const apiKeys = await deps.revokeKeysCreatedBy(tenant, `operator:${operatorId}`, tx)
        await deps.recordIn(tx, {
          tenant,
          actor: by.actor,
          action: 'auth.operator.disable',
          resource: operatorId,
          origin: originOf(by.actor),
          details: { email: row.email, role: row.role, sessions, apiKeys },
        })
        return { sessions, apiKeys }
      })
      deps.forgetApiKeys()
      return result
    },

    async changeRole(tenant, operatorId, role, by) {
      const row = await target(tenant, operatorId, by, [role])
      await db.transaction().execute(async (tx) => {
        await sql`
          UPDATE auth_operators SET role = ${role}
          WHERE tenant_id = ${tenant} AND operator_id = ${operatorId}`.execute(tx)
        // MFA may be required by the new role, and sessions carry the MFA state of the old one
        const sessions = await deps.revokeSessions(tenant, operatorId, tx)
        await deps.recordIn(tx, {
          tenant,
          actor: by.actor,
          action: 'auth.operator.role_change',
          resource: operatorId,
          origin: originOf(by.actor),
          details: { from: row.role, to: role, sessions },
        })
      })
      return toOperator((await operatorById(db, tenant, operatorId))!, clock.now())
    },

    async resetPassword(tenant, operatorId, password, by) {
      const row = await target(tenant, operatorId, by)
      await setPassword(row, password, (sessions) => ({
        tenant,
        actor: by.actor,
        action: 'auth.operator.password_reset',
        resource: operatorId,
        origin: originOf(by.actor),
        details: { sessions },
      }))
    },

    async changeOwnPassword(principal, current, next, origin) {
      if (principal.kind !== 'session' || !principal.operatorId) throw sessionRequired()
      const row = await operatorById(db, principal.tenantId, principal.operatorId)
      if (!row) throw operatorNotFound(principal.operatorId)
      const who = { tenantId: row.tenant_id, operatorId: row.operator_id }
      const entry = (outcome: AuditRecord['outcome'], details: Record<string, unknown>): AuditEntryInput => ({
        tenant: row.tenant_id,
        actor: principal.actor,
        action: 'auth.operator.password_change',
        resource: row.operator_id,
        origin,
        outcome,
        details,
      })
      if (!(await deps.hasher.verify(row.password_hash, current))) {
        // a stolen session must not become an unlimited password oracle
        await deps.failures.record(who, origin, clock.now())
        deps.record(entry('denied', { reason: 'current password wrong' }))
        throw authFailed()
      }
      await setPassword(
        row,
        next,
        (sessions) => entry('success', { otherSessionsEnded: sessions }),
        principal.keyId,
      )
    },
  }
}
