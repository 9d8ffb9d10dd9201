/** What every billing use case is handed (built once by createBilling). */
import { sql, type Transaction } from 'kysely'
import type { Database } from '../../shared/db/schema.js'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import type { Ledger } from '../ledger/index.js'
import type { SavedMethodsGateway } from '../payments/index.js'
import type { AuditRecord } from '../audit/index.js'
import { billingError } from './billing.errors.js'

/** Tax as a pluggable rate: the default takes the price's rate; a tenant may plug in a tax engine. */
export interface TaxPolicy {
  rateBps(input: { tenant: string; customerId: string; priceId: string; defaultBps: number }): number
}
export const priceTaxPolicy: TaxPolicy = { rateBps: ({ defaultBps }) => defaultBps }

/** The customers (parties) billing bills: only whether one exists. */
export interface CustomersPort {
  exists(tenant: string, customerId: string): Promise<boolean>
}

export interface BillingAuditPort {
  recordIn(tx: Db, r: AuditRecord): Promise<void>
  recordAllIn(tx: Db, rs: readonly AuditRecord[]): Promise<void>
}

export interface BillingContext {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly ledger: Ledger
  readonly outbox: Outbox
  readonly audit: BillingAuditPort
  readonly fieldCipher: FieldCipher
  readonly gateways: ReadonlyMap<string, SavedMethodsGateway>
  readonly customers: CustomersPort
  readonly tax: TaxPolicy
  readonly logger?: Logger | undefined
  /** Creates the ledger accounts of a currency on first use. */
  readonly accounts: (tenant: string, currency: string) => Promise<void>
  /** Invoices per transaction in a billing run. */
  readonly batchSize: number
  /** Renew-and-charge lanes at once in a run (PostgreSQL; PGlite has one connection: 1). */
  readonly runLanes: number
  /** Gateway calls in flight at once during a run. */
  readonly chargeConcurrency: number
  /** A charge pending longer than this (wall clock) was left by a stopped process: resent (resend.ts). */
  readonly resendAfterMs: number
}

/** Billing's time for a tenant: its test clock when it has one, else the injected clock. */
export async function billingNow(ctx: BillingContext, tenant: string, db: Db = ctx.db): Promise<Date> {
  const r = await sql<{ now: Date }>`SELECT now FROM billing_test_clocks WHERE tenant_id = ${tenant}`.execute(
    db,
  )
  return r.rows[0] ? new Date(r.rows[0].now) : ctx.clock.now()
}

/** Moves a tenant's test clock forward (creating it); refuses to go back. */
export async function advanceTestClock(ctx: BillingContext, tenant: string, to: Date): Promise<Date> {
  return ctx.db.transaction().execute(async (tx) => {
    const r = await sql<{
      now: Date
    }>`SELECT now FROM billing_test_clocks WHERE tenant_id = ${tenant} FOR UPDATE`.execute(tx)
    const current = r.rows[0] ? new Date(r.rows[0].now) : undefined
    if (current && to < current)
      throw billingError('BILLING_CLOCK_BACKWARDS', `the clock is at ${current.toISOString()}`)
    await sql`INSERT INTO billing_test_clocks (tenant_id, now, updated_at) VALUES (${tenant}, ${to}, ${ctx.clock.now()})
      ON CONFLICT (tenant_id) DO UPDATE SET now = excluded.now, updated_at = excluded.updated_at`.execute(tx)
    return to
  })
}

export function gatewayOf(ctx: BillingContext, name: string): SavedMethodsGateway {
  const gw = ctx.gateways.get(name)
  if (!gw) throw billingError('BILLING_GATEWAY_UNSUPPORTED', name)
  return gw
}

/** A database transaction (what the ledger's `execute` needs to join the caller's transaction). */
export type Tx = Transaction<Database>

/**
 * Creates the ledger accounts of every currency the tenant prices in. Called before a use case opens
 * its transaction: account creation runs on its own connection, which inside a transaction would
 * wait on that transaction (and on PGlite's single connection, forever).
 */
export async function ensureAccounts(ctx: BillingContext, tenant: string): Promise<void> {
  const r = await sql<{
    currency: string
  }>`SELECT DISTINCT currency FROM billing_prices WHERE tenant_id = ${tenant}`.execute(ctx.db)
  for (const row of r.rows) await ctx.accounts(tenant, row.currency)
}

/** The audit entry of a billing change, written in the change's transaction. */
export function auditIn(
  ctx: BillingContext,
  tx: Db,
  tenant: string,
  actor: { actor: string; origin: string },
  action: string,
  resource: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return ctx.audit.recordIn(tx, {
    tenant,
    actor: actor.actor,
    action,
    resource,
    outcome: 'success',
    origin: actor.origin,
    details,
  })
}
