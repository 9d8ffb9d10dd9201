import type { AuthAuditPort } from './audit-port.js'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Db } from '../../shared/db/connect.js'
import type { Outbox } from '../events/index.js'
import { DEFAULT_TENANT } from '../platform/index.js'
import { AUTH_EVENTS } from './auth.events.js'
import { lockDurationMs, locksAt, type LockoutPolicy } from './lockout.js'

export interface FailureDeps {
  readonly db: Db
  readonly outbox?: Outbox | undefined
  readonly audit?: AuthAuditPort | undefined
  readonly logger?: Logger | undefined
  readonly operatorPolicy: LockoutPolicy
  readonly addressPolicy: LockoutPolicy
}

export interface FailureTarget {
  readonly tenantId: string
  readonly operatorId: string
}

/** SQL: the counter starts again at 1 (its last failure is older than the policy's window, if it has one). */
function restarts(policy: LockoutPolicy, at: Date, table: '' | 'f.' = '') {
  if (policy.windowMs === undefined) return sql`false`
  const column = sql.ref(`${table}last_failed_at`)
  return sql`(${column} IS NULL OR ${column} <= ${new Date(at.getTime() - policy.windowMs)})`
}

/**
 * Failure counters in the database, so every API process shares them. Each increment is one UPDATE on
 * the row (row-locked), so concurrent failures all count and exactly one of them sees the count that locks.
 */
export function createFailureCounter(deps: FailureDeps) {
  const { db } = deps

  async function lockOperator(t: FailureTarget, address: string, count: number, at: Date): Promise<void> {
    await db.transaction().execute(async (tx) => {
      // The row stays locked until commit, so two lockouts in a row read each other's count.
      const r = await sql<{ lockout_count: number }>`
        UPDATE auth_operators SET lockout_count = lockout_count + 1
        WHERE tenant_id = ${t.tenantId} AND operator_id = ${t.operatorId}
        RETURNING lockout_count`.execute(tx)
      const lockouts = Number(r.rows[0]?.lockout_count ?? 1)
      const until = new Date(at.getTime() + lockDurationMs(lockouts - 1, deps.operatorPolicy))
      await sql`
        UPDATE auth_operators SET locked_until = greatest(coalesce(locked_until, ${at}), ${until})
        WHERE tenant_id = ${t.tenantId} AND operator_id = ${t.operatorId}`.execute(tx)
      await deps.outbox?.enqueue(tx, [
        {
          tenantId: t.tenantId,
          topic: AUTH_EVENTS.operatorLocked,
          key: t.operatorId,
          payload: {
            scope: 'operator',
            operatorId: t.operatorId,
            address,
            failures: count,
            lockoutCount: lockouts,
            lockedUntil: until.toISOString(),
          },
        },
      ])
      await deps.audit?.recordIn(tx, {
        tenant: t.tenantId,
        actor: 'system',
        action: 'auth.operator.lock',
        resource: t.operatorId,
        outcome: 'success',
        origin: address,
        details: { failures: count, lockoutCount: lockouts, lockedUntil: until.toISOString() },
      })
    })
  }

  async function lockAddress(address: string, count: number, at: Date): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const r = await sql<{ lockout_count: number }>`
        UPDATE auth_address_failures SET lockout_count = lockout_count + 1 WHERE address = ${address}
        RETURNING lockout_count`.execute(tx)
      const lockouts = Number(r.rows[0]?.lockout_count ?? 1)
      const until = new Date(at.getTime() + lockDurationMs(lockouts - 1, deps.addressPolicy))
      await sql`
        UPDATE auth_address_failures SET locked_until = greatest(coalesce(locked_until, ${at}), ${until})
        WHERE address = ${address}`.execute(tx)
      // An address belongs to no tenant: its lockouts are the platform owner's (the default tenant).
      await deps.outbox?.enqueue(tx, [
        {
          tenantId: DEFAULT_TENANT,
          topic: AUTH_EVENTS.operatorLocked,
          key: `address:${address}`,
          payload: {
            scope: 'address',
            address,
            failures: count,
            lockoutCount: lockouts,
            lockedUntil: until.toISOString(),
          },
        },
      ])
      await deps.audit?.recordIn(tx, {
        tenant: DEFAULT_TENANT,
        actor: 'system',
        action: 'auth.address.lock',
        resource: `address:${address}`,
        outcome: 'success',
        origin: address,
        details: { failures: count, lockoutCount: lockouts, lockedUntil: until.toISOString() },
      })
    })
  }

  return {
    /** Counts one failed attempt against the operator (when known) and the source address. */
    async record(target: FailureTarget | undefined, address: string, at: Date): Promise<void> {
      if (target) {
        const r = await sql<{ failed_count: number }>`
          UPDATE auth_operators SET
            failed_count = CASE WHEN ${restarts(deps.operatorPolicy, at)} THEN 1 ELSE failed_count + 1 END,
            last_failed_at = ${at}
          WHERE tenant_id = ${target.tenantId} AND operator_id = ${target.operatorId}
          RETURNING failed_count`.execute(db)
        const count = Number(r.rows[0]?.failed_count ?? 0)
        if (locksAt(count, deps.operatorPolicy)) await lockOperator(target, address, count, at)
      }
      const a = await sql<{ failed_count: number }>`
        INSERT INTO auth_address_failures AS f (address, failed_count, last_failed_at) VALUES (${address}, 1, ${at})
        ON CONFLICT (address) DO UPDATE SET
          failed_count = CASE WHEN ${restarts(deps.addressPolicy, at, 'f.')} THEN 1 ELSE f.failed_count + 1 END,
          last_failed_at = ${at}
        RETURNING failed_count`.execute(db)
      const addrCount = Number(a.rows[0]?.failed_count ?? 0)
      if (locksAt(addrCount, deps.addressPolicy)) await lockAddress(address, addrCount, at)
    },

    /** Whether the operator or the address is locked at `at` (read fresh, after the password check). */
    async locked(target: FailureTarget | undefined, address: string, at: Date): Promise<boolean> {
      const r = await sql<{ locked: boolean }>`
        SELECT EXISTS (SELECT 1 FROM auth_address_failures WHERE address = ${address} AND locked_until > ${at})
            OR EXISTS (SELECT 1 FROM auth_operators
                       WHERE tenant_id = ${target?.tenantId ?? ''} AND operator_id = ${target?.operatorId ?? ''}
                         AND locked_until > ${at}) AS locked`.execute(db)
      return r.rows[0]?.locked === true
    },

    /** A successful sign-in clears the operator's counters (not the address's: one good account must not
     *  let a guesser reset the count it runs up against others). */
    async clear(target: FailureTarget, tx: Db = db): Promise<void> {
      await sql`
        UPDATE auth_operators SET failed_count = 0, last_failed_at = NULL, lockout_count = 0, locked_until = NULL
        WHERE tenant_id = ${target.tenantId} AND operator_id = ${target.operatorId}`.execute(tx)
    },
  }
}

export type FailureCounter = ReturnType<typeof createFailureCounter>
