/**
 * What every payments use case shares: its dependencies, the store, and the transaction helpers.
 * Built once by createPayments and passed to each use case, so no use case is a closure over another.
 */
import type { Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import type { Db } from '../../../shared/db/connect.js'
import { retryTransient } from '../../../shared/db/retry.js'
import type { Database } from '../../../shared/db/schema.js'
import type { IdGenerator } from '../../../shared/ids.js'
import type { Outbox } from '../../events/index.js'
import type { Ledger } from '../../ledger/index.js'
import { GatewayError, isGatewayError, type PaymentGateway } from '../gateway.js'
import { accountProvisioner, type ChartOfAccounts } from '../ledger-mapping.js'
import type { Actor, PaymentsAudit } from '../payments.audit.js'
import { paymentNotFound } from '../payments.errors.js'
import { invalidState, type Payment } from '../payments.js'
import { createPaymentsStore, type PaymentsStore } from '../store/payments-store.js'
import type { RoutingRuleRow } from '../store/routing-rules.js'
import { GroupCommit } from '../../../shared/group-commit.js'
import type { GatewayRegistry } from '../routing.js'
import { createBooker, type Booker } from './booker.js'
import { createMarker, type Marker } from './marker.js'
import { createOpener, type Opener } from './opener.js'

export type Tx = Transaction<Database>

export interface PaymentsDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly ledger: Ledger
  readonly gateways: GatewayRegistry
  readonly outbox?: Outbox
  readonly logger?: Logger
  /** The sweeper leaves a payment alone until it has not changed for this long (default 60 s). */
  readonly sweepAfterMs?: number
  /** Each applied transition is audited in its own transaction. */
  readonly audit?: PaymentsAudit | undefined
  /** A key claimed by a request that never finished (its process died) is taken over after this (default 60 s). */
  readonly keyTakeoverMs?: number
  /** Group commit of gateway answers (core/booker.ts): largest batch, batches in flight (256, 2). */
  readonly booking?: { readonly maxBatch?: number; readonly maxInFlight?: number }
  /** Group commit of new payments before their gateway call (core/opener.ts): (256, 2). */
  readonly opening?: { readonly maxBatch?: number; readonly maxInFlight?: number }
  /** Group commit of captures' and refunds' writes before their gateway call (core/marker.ts): (256, 2). */
  readonly marking?: { readonly maxBatch?: number; readonly maxInFlight?: number }
}

export interface PaymentsContext {
  readonly deps: PaymentsDeps
  readonly store: PaymentsStore
  readonly sweepAfterMs: number
  readonly keyTakeoverMs: number
  readonly now: () => Date
  /**
   * Who the work is done for: the request's principal (`actingFor`), named in the transitions' audit
   * entries. Undefined in workers and webhooks: an entry then names the gateway (`gateway:NAME`).
   */
  readonly by?: Actor
  /** Creates the tenant's accounts for a gateway and currency on first use. */
  provision(tenant: string, gateway: string, currency: string): Promise<ChartOfAccounts>
  /** Work that checks its own effect first, so it may run again after contention or a lost connection. */
  again<T>(work: () => Promise<T>): Promise<T>
  /** A transaction retried on contention (it was rolled back, so running it again is safe). */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  /** A transaction that checks its own effect first: also retried after a lost connection. */
  idempotentTransaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  mustGet(ex: Db | Tx, tenant: string, id: string, lock?: boolean): Promise<Payment>
  /** The adapter the payment was sent to. */
  gatewayOf(p: Payment): PaymentGateway
  /** A failure we cannot classify happened after the request may have been sent: outcome unknown. */
  asGatewayError(err: unknown): GatewayError
  /** Books a fact on a payment in a shared (group-committed) transaction; see core/booker.ts. */
  readonly book: Booker['book']
  /** Settles a reserved refund with the gateway's answer in a shared transaction; see core/booker.ts. */
  readonly bookRefund: Booker['bookRefund']
  /**
   * A tenant's routing rules as stored now. Reads asked for at the same moment share one statement
   * (a group read: each waits for a read sent after it asked, so a rule change committed before the
   * request is seen, as with a read of its own).
   */
  routingRules(tenant: string): Promise<RoutingRuleRow[]>
  /** Writes a new payment, processing, in a shared (group-committed) transaction; see core/opener.ts. */
  readonly open: Opener['open']
  /** Marks a capture in flight or reserves a refund, claiming its new key, in a shared transaction; see core/marker.ts. */
  readonly mark: Marker['mark']
  close(): Promise<void>
}

export function createContext(deps: PaymentsDeps): PaymentsContext {
  const store = createPaymentsStore(deps.db)
  const onRetry = (err: unknown, attempt: number) =>
    deps.logger?.debug({ err, attempt }, 'payments transaction retried')
  const again = <T>(work: () => Promise<T>): Promise<T> =>
    retryTransient(work, { onConnectionLoss: true, onRetry })
  let booker: Booker | undefined
  let opener: Opener | undefined
  let marker: Marker | undefined
  const ruleReads = new GroupCommit<string, RoutingRuleRow[]>({
    maxBatch: 256,
    maxInFlight: 2,
    send: async (tenants) => {
      const rules = await store.listRulesOf([...new Set(tenants)])
      return tenants.map((t) => rules.get(t) ?? [])
    },
  })
  const ctx: PaymentsContext = {
    deps,
    store,
    sweepAfterMs: deps.sweepAfterMs ?? 60_000,
    keyTakeoverMs: deps.keyTakeoverMs ?? 60_000,
    now: () => deps.clock.now(),
    provision: accountProvisioner(deps.ledger),
    again,
    transaction: (work) => retryTransient(() => deps.db.transaction().execute(work), { onRetry }),
    idempotentTransaction: (work) => again(() => deps.db.transaction().execute(work)),
    async mustGet(ex, tenant, id, lock = false) {
      const p = await store.getPayment(ex, tenant, id, lock)
      if (!p) throw paymentNotFound(id)
      return p
    },
    gatewayOf(p) {
      if (!p.gateway) throw invalidState(p.status, 'act on')
      return deps.gateways.require(p.gateway)
    },
    asGatewayError(err) {
      if (isGatewayError(err)) return err
      deps.logger?.warn({ err }, 'gateway call failed unexpectedly; outcome treated as unknown')
      return new GatewayError('unknown', 'The gateway call failed unexpectedly.', { cause: err })
    },
    book: (b) => (booker ??= createBooker(ctx, deps.booking)).book(b),
    bookRefund: (b) => (booker ??= createBooker(ctx, deps.booking)).bookRefund(b),
    routingRules: (tenant) => ruleReads.submit(tenant),
    open: (o) => (opener ??= createOpener(ctx, deps.opening)).open(o),
    mark: (m) => (marker ??= createMarker(ctx, deps.marking)).mark(m),
    async close() {
      await opener?.close()
      await marker?.close()
      await booker?.close()
      await ruleReads.close()
    },
  }
  return ctx
}

/**
 * The context of one request's use case: its transitions are audited under `by` — those it writes
 * itself and those it hands to the shared group commits (opener, marker, booker), which mix requests
 * and so carry each one's actor with its item. Passed explicitly: no ambient (AsyncLocalStorage)
 * context, whose promise hooks cost every request of the process (ADR 0212).
 */
export function actingFor(c: PaymentsContext, by: Actor | undefined): PaymentsContext {
  if (!by) return c
  return {
    ...c,
    by,
    book: (b) => c.book({ by, ...b }),
    bookRefund: (b) => c.bookRefund({ by, ...b }),
    open: (o) => c.open({ by, ...o }),
    mark: (m) => c.mark({ by, ...m }),
  }
}
