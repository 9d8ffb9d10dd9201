import { sql, type Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import type { Database } from '../../../shared/db/schema.js'
import type { GatewayEvent, PaymentGateway } from '../gateway.js'
import { WEBHOOK_INBOX_CHANNEL } from './webhook-inbox.migrations.js'
import {
  DEFAULT_RETRY,
  describeFailure,
  fromStoredEvent,
  retryDelayMs,
  routingTenant,
  toStoredEvent,
  UNROUTED_TENANT,
  type InboxEntry,
  type InboxOutcome,
  type InboxStatus,
  type RetryPolicy,
} from './webhook-inbox.js'
import { GroupCommit } from '../../../shared/group-commit.js'
import { createPostCommitNotifier } from '../../../shared/db/notifier.js'
import {
  webhookEventNotDead,
  webhookGatewayUnknown,
  webhookInboxUnavailable,
  webhookTenantUnresolved,
} from './webhook-inbox.errors.js'
import {
  claimRows,
  peekDue,
  countByStatus,
  insertRows,
  listRows,
  correctOutcomes,
  markFailed,
  reviveDead,
  rowKey,
  type ClaimedRow,
  type ExpectedMark,
  type FailedMark,
  type ListFilter,
  type NewInboxRow,
  type ProcessedMark,
} from './webhook-inbox.store.js'

type Tx = Transaction<Database>

type Resolved = { tenant: string } | { error: unknown }

/** A due row, before its round: settled without payments, applied for a tenant, or failed. */
type RowPlan = { readonly settled: ProcessedMark } | { readonly tenant: string } | { readonly error: unknown }

/** What the inbox needs from payments: the single writer of state transitions, and tenant lookups. */
export interface WebhookPaymentsPort {
  /**
   * Idempotent; runs in the inbox row's transaction, so the row is marked processed with its effect.
   * Throwing (e.g. PAYMENT_EVENT_OUT_OF_ORDER) rolls the row's work back and schedules a retry.
   */
  applyGatewayEvent(
    tenant: string,
    gateway: string,
    event: GatewayEvent,
    opts: { tx: Tx },
  ): Promise<InboxOutcome>
  /**
   * A round's events as a set, in the round's transaction (issue #18): one result per item. An item
   * that fails wrote nothing; throwing fails the whole call (the inbox then rolls it back and applies
   * the round's rows one at a time with applyGatewayEvent).
   */
  applyGatewayEvents(
    items: readonly { tenant: string; gateway: string; event: GatewayEvent }[],
    opts: { tx: Tx },
  ): Promise<({ ok: true; outcome: InboxOutcome } | { ok: false; error: unknown })[]>
  /** The owner of the payment with this gateway reference (committed rows). */
  findTenantByGatewayRef(gateway: string, gatewayRef: string): Promise<{ tenantId: string } | undefined>
  /** The same for many references of one gateway, in one lookup: ref → tenant (unambiguous ones only). */
  findTenantsByGatewayRefs(gateway: string, gatewayRefs: readonly string[]): Promise<Map<string, string>>
  /** The tenant of our payment id, when the vendor echoed it back. */
  findTenantByPaymentId(paymentId: string): Promise<string | undefined>
}

/**
 * What the inbox needs from billing for saved-method events (card updater: new expiry, replaced
 * card). Defined here, by its consumer; billing implements it. Without it such events are ignored.
 */
export interface WebhookMethodsPort {
  /** Owners of the saved methods with these gateway tokens: token → tenant (unambiguous ones only). */
  findTenantsByMethodRefs(gateway: string, refs: readonly string[]): Promise<Map<string, string>>
  /** Applies the update in the inbox row's transaction (idempotent). */
  applyMethodUpdate(
    tenant: string,
    gateway: string,
    event: GatewayEvent,
    opts: { tx: Tx },
  ): Promise<InboxOutcome>
  /**
   * After the round committed: what must not run inside it (charging the customer's open invoices
   * again). Best effort: applyMethodUpdate already made those invoices due, so the scheduler retries
   * them if this fails.
   */
  afterMethodUpdate(tenant: string, gateway: string, event: GatewayEvent): Promise<void>
}

export type WebhookVerifier = Pick<PaymentGateway, 'name' | 'verifyWebhook'>

export interface WebhookInboxDeps {
  readonly db: DbHandle
  readonly clock: Clock
  readonly logger?: Logger
  /** The configured gateway of that name, or undefined. */
  readonly gateway: (name: string) => WebhookVerifier | undefined
  readonly payments: WebhookPaymentsPort
  /** Billing's saved methods (card-updater events); optional: without it those events are ignored. */
  readonly methods?: WebhookMethodsPort
  readonly retry?: Partial<RetryPolicy>
  /** Receipts written per INSERT (group commit). Default 500. */
  readonly batchMax?: number
  /** While a receipt batch is in flight, another leaves only with this many (adaptive group commit). Default 32. */
  readonly batchMinWhileBusy?: number
  /** With nothing in flight, a receipt batch leaves at most this often under steady arrivals (GroupCommit's lingerMs). Default 0. */
  readonly batchLingerMs?: number
  /** Rows claimed per processing transaction (applied as one set). Default 500. */
  readonly claimBatch?: number
  /** Processing loops on PostgreSQL (PGlite: 1). 0: receive only (an API process; workers elsewhere). Default 2. */
  readonly workers?: number
  /** Safety-net polling interval (due retries, missed notifications). */
  readonly pollMs?: number
}

export interface ReceiveResult {
  readonly eventId: string
  /** The row's tenant key: the tenant the event names, or `_unrouted`. */
  readonly tenantId: string
  /** Already in the inbox: nothing new was stored. */
  readonly duplicate: boolean
}

export interface RoundResult {
  readonly claimed: number
  readonly processed: number
  /** Failed and scheduled for another attempt. */
  readonly retried: number
  /** Failed for the last time and dead-lettered. */
  readonly dead: number
  /**
   * Payment events applied one at a time under a savepoint instead of in the round's set: those
   * that failed before (retries) and, when the set itself failed, every one of the round.
   */
  readonly isolated: number
}

export interface WebhookInbox {
  /** Verifies the signature on the raw body, stores the event once, returns before it is processed. */
  receive(
    gateway: string,
    rawBody: Buffer,
    headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  ): Promise<ReceiveResult>
  /** One processing round: claim due rows, apply each in the round's transaction, mark them. */
  processDue(opts?: { limit?: number; only?: ListFilter }): Promise<RoundResult>
  /** Starts the background processor (LISTEN/NOTIFY on PostgreSQL, polling on PGlite). */
  start(): Promise<void>
  stop(): Promise<void>
  list(filter?: ListFilter): Promise<InboxEntry[]>
  counts(tenantId?: string): Promise<Record<InboxStatus, number>>
  /**
   * Puts dead-lettered events back in the queue with a fresh attempt budget and processes them now.
   * Applying is idempotent, so a replay never has a second effect.
   */
  replay(filter: { eventId?: string; gateway?: string; tenantId?: string }): Promise<{
    revived: InboxEntry[]
    round: RoundResult
  }>
  close(): Promise<void>
}

/** A round's set refused as a whole by payments: its transaction rolls back and the round is redone row by row. */
class RoundAsSetFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly rows: number,
  ) {
    super('webhook round failed as a set')
  }
}

const isMethodUpdate = (row: ClaimedRow) => row.event.type === 'payment_method.updated'

const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization'])

const keptHeaders = (h: Readonly<Record<string, string | readonly string[] | undefined>>) => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || DROPPED_HEADERS.has(k.toLowerCase())) continue
    out[k.toLowerCase()] = typeof v === 'string' ? v : v.join(', ')
  }
  return out
}

export function createWebhookInbox(deps: WebhookInboxDeps): WebhookInbox {
  const { db, clock, logger } = deps
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry }
  const claimBatch = deps.claimBatch ?? 500
  const wanted = deps.workers ?? 2
  const loops = wanted === 0 ? 0 : db.engine === 'postgres' ? wanted : 1
  const pollMs = deps.pollMs ?? (db.engine === 'postgres' ? 1000 : 200)

  // Wakes `moneta worker` processes (LISTEN) after new rows committed, never inside the INSERT's
  // transaction (migration 0541). Not awaited: the gateway's answer waits for its row, not the wake-up.
  const workersNotifier = createPostCommitNotifier(db, WEBHOOK_INBOX_CHANNEL, logger)
  const wakeWorkers = workersNotifier.notify

  const batcher = new GroupCommit<NewInboxRow, boolean>({
    maxBatch: deps.batchMax ?? 500,
    maxInFlight: db.engine === 'postgres' ? 4 : 1,
    // Under a burst, a few receipts leave beside a batch in flight only once enough wait; the rest
    // join the next batch. Fewer, larger INSERTs: each one costs the API process a write to
    // PostgreSQL and a wake-up, whatever its size (issue #18: receive cheaper per delivery).
    minBatchWhileBusy: deps.batchMinWhileBusy ?? 32,
    // A gateway sends at its merchants' pace, one request at a time, not in bursts: without this,
    // each receipt found the previous commit done and left in an INSERT of its own (issue #18).
    lingerMs: db.engine === 'postgres' ? (deps.batchLingerMs ?? 0) : 0,
    closedMessage: 'webhook inbox is closed',
    async send(rows) {
      const fresh = await insertRows(db.db, rows)
      if (fresh.size > 0) wakeWorkers()
      // A key repeated inside one batch is new only for its first occurrence.
      return rows.map((r) => fresh.delete(rowKey(r.tenantId, r.gateway, r.event.id)))
    },
  })

  // ---- processing ----

  // A row's event, decoded once per round whatever asks for it (tenant lookup, settling, applying,
  // the one-by-one retry of a set), keyed by the stored object the peek read (claimRows keeps it).
  const decoded = new WeakMap<ClaimedRow['event'], GatewayEvent>()
  const eventOf = (row: ClaimedRow): GatewayEvent => {
    let e = decoded.get(row.event)
    if (!e) decoded.set(row.event, (e = fromStoredEvent(row.event)))
    return e
  }

  const resolveTenant = async (
    row: ClaimedRow,
    event: GatewayEvent,
    owners: ReadonlyMap<string, string>,
  ): Promise<string> => {
    if (event.paymentRef) {
      const owner = owners.get(`${row.gateway}\u0000${event.paymentRef}`)
      if (owner) return owner
    }
    if (event.paymentId) {
      const t = await deps.payments.findTenantByPaymentId(event.paymentId)
      if (t) return t
    }
    // Payouts and other account-level events name no payment: the tenant the gateway echoed back.
    if (!event.paymentRef && !event.paymentId && row.tenantId !== UNROUTED_TENANT) return row.tenantId
    throw webhookTenantUnresolved(
      event.paymentRef || event.paymentId
        ? `no payment ${event.paymentRef ?? event.paymentId} on gateway ${row.gateway} (yet)`
        : 'it names neither a payment nor a tenant',
    )
  }

  /**
   * The tenant each event applies to, or why it cannot be told yet (looked up before the round's
   * transaction): the gateway references of the whole round in one lookup per gateway.
   */
  const resolveAll = async (rows: readonly ClaimedRow[]) => {
    const refsByGateway = new Map<string, string[]>()
    const methodRefsByGateway = new Map<string, string[]>()
    const push = (m: Map<string, string[]>, gateway: string, ref: string) =>
      (m.get(gateway) ?? m.set(gateway, []).get(gateway)!).push(ref)
    for (const row of rows) {
      const ref = row.event.paymentRef
      if (ref) push(refsByGateway, row.gateway, ref)
      const methodRef = isMethodUpdate(row) ? row.event.method?.ref : undefined
      if (methodRef) push(methodRefsByGateway, row.gateway, methodRef)
    }
    const owners = new Map<string, string>()
    for (const [gateway, refs] of refsByGateway) {
      for (const [ref, tenant] of await deps.payments.findTenantsByGatewayRefs(gateway, refs))
        owners.set(`${gateway}\u0000${ref}`, tenant)
    }
    const methodOwners = new Map<string, string>()
    for (const [gateway, refs] of methodRefsByGateway) {
      for (const [ref, tenant] of (await deps.methods?.findTenantsByMethodRefs(gateway, refs)) ?? [])
        methodOwners.set(`${gateway}\u0000${ref}`, tenant)
    }
    const out = new Map<string, Resolved>()
    await Promise.all(
      rows.map(async (row) => {
        const event = eventOf(row)
        if (event.type === 'ignored') return
        if (isMethodUpdate(row)) {
          // A method we never saved (a one-off payment's card, another integration's): nothing to
          // update, so the row stays unresolved and is settled as ignored.
          const owner = methodOwners.get(`${row.gateway}\u0000${event.method?.ref ?? ''}`)
          if (owner) out.set(rowKey(row.tenantId, row.gateway, row.eventId), { tenant: owner })
          return
        }
        out.set(
          rowKey(row.tenantId, row.gateway, row.eventId),
          await resolveTenant(row, event, owners).then(
            (tenant) => ({ tenant }),
            (error: unknown) => ({ error }),
          ),
        )
      }),
    )
    return out
  }

  /** Rows that need no payments call (ignored, or their tenant unknown) are settled here. */
  const settleWithoutPayments = (
    row: ClaimedRow,
    resolved: Resolved | undefined,
  ): ProcessedMark | undefined => {
    const event = eventOf(row)
    // Vendor events we do not map change nothing; they are kept for the operator.
    if (event.type === 'ignored' || !resolved) {
      const hint = row.tenantId === UNROUTED_TENANT ? undefined : row.tenantId
      return { row, outcome: 'ignored', appliedTenantId: hint }
    }
    if ('error' in resolved) throw resolved.error
    if (row.tenantId !== UNROUTED_TENANT && row.tenantId !== resolved.tenant) {
      logger?.warn(
        { eventId: row.eventId, gateway: row.gateway, named: row.tenantId, owner: resolved.tenant },
        'webhook names another tenant than the payment owner; applied for the owner',
      )
    }
    return undefined
  }

  const failure = (row: ClaimedRow, err: unknown, now: Date): FailedMark => {
    const attempts = row.attempts + 1
    return {
      row,
      error: describeFailure(err),
      nextAttemptAt: new Date(now.getTime() + retryDelayMs(policy, attempts)),
      dead: attempts >= policy.maxAttempts,
    }
  }

  /**
   * Applies each row under its own savepoint: a row that throws is rolled back alone and marked for a
   * retry, while the rows before and after it keep their effects and commit with their marks.
   */
  const eachUnderSavepoint = async (
    tx: Tx,
    work: readonly { row: ClaimedRow; tenant: string }[],
    now: Date,
    apply: (w: { row: ClaimedRow; tenant: string }, i: number) => Promise<InboxOutcome>,
  ): Promise<{ done: ProcessedMark[]; failed: FailedMark[] }> => {
    const done: ProcessedMark[] = []
    const failed: FailedMark[] = []
    for (const [i, w] of work.entries()) {
      await sql`SAVEPOINT webhook_row`.execute(tx)
      try {
        const outcome = await apply(w, i)
        await sql`RELEASE SAVEPOINT webhook_row`.execute(tx)
        done.push({ row: w.row, outcome, appliedTenantId: w.tenant })
      } catch (err) {
        await sql`ROLLBACK TO SAVEPOINT webhook_row`.execute(tx)
        failed.push(failure(w.row, err, now))
      }
    }
    return { done, failed }
  }

  /**
   * The rows to apply, as one set (one payments call). No savepoint guards the set: a set that fails
   * as a whole throws RoundAsSetFailed, which rolls the round's transaction back, and processDue runs
   * the round again applying its rows one at a time (`oneByOne`), each under a savepoint, so a
   * poisoned row is rolled back alone and rescheduled while the others commit with their "processed"
   * marks. The common round saves the SAVEPOINT and RELEASE round trips.
   */
  const applyRows = async (
    tx: Tx,
    work: readonly { row: ClaimedRow; tenant: string }[],
    now: Date,
    oneByOne: boolean,
  ): Promise<{ done: ProcessedMark[]; failed: FailedMark[] }> => {
    const done: ProcessedMark[] = []
    const failed: FailedMark[] = []
    if (work.length === 0) return { done, failed }
    const items = work.map((w) => ({
      tenant: w.tenant,
      gateway: w.row.gateway,
      event: eventOf(w.row),
    }))
    if (!oneByOne) {
      let results: Awaited<ReturnType<WebhookPaymentsPort['applyGatewayEvents']>>
      try {
        results = await deps.payments.applyGatewayEvents(items, { tx })
      } catch (err) {
        throw new RoundAsSetFailed(err, work.length)
      }
      results.forEach((r, i) => {
        const { row, tenant } = work[i]!
        if (r.ok) done.push({ row, outcome: r.outcome, appliedTenantId: tenant })
        else failed.push(failure(row, r.error, now))
      })
      return { done, failed }
    }
    return eachUnderSavepoint(tx, work, now, ({ row, tenant }, i) =>
      deps.payments.applyGatewayEvent(tenant, row.gateway, items[i]!.event, { tx }),
    )
  }

  /** Saved-method updates, one at a time under a savepoint (they are rare next to payment events). */
  const applyMethodRows = async (
    tx: Tx,
    work: readonly { row: ClaimedRow; tenant: string }[],
    now: Date,
  ): Promise<{ done: ProcessedMark[]; failed: FailedMark[] }> =>
    eachUnderSavepoint(tx, work, now, async ({ row, tenant }) =>
      deps.methods ? deps.methods.applyMethodUpdate(tenant, row.gateway, eventOf(row), { tx }) : 'ignored',
    )

  const afterMethodUpdates = async (marks: readonly ProcessedMark[]) => {
    for (const m of marks) {
      try {
        await deps.methods?.afterMethodUpdate(m.appliedTenantId!, m.row.gateway, eventOf(m.row))
      } catch (err) {
        logger?.warn(
          { err, eventId: m.row.eventId, gateway: m.row.gateway },
          'saved method updated; recovering its invoices failed (the billing scheduler retries them)',
        )
      }
    }
  }

  const NOTHING: RoundResult = { claimed: 0, processed: 0, retried: 0, dead: 0, isolated: 0 }

  /**
   * What each due row needs, decided before the round's transaction from its event and tenant: settled
   * here (ignored, no owner), applied for a tenant, or failed (its tenant cannot be told yet).
   */
  const planRows = (due: readonly ClaimedRow[], tenants: ReadonlyMap<string, Resolved>) => {
    const plans = new Map<string, RowPlan>()
    for (const row of due) {
      const key = rowKey(row.tenantId, row.gateway, row.eventId)
      try {
        const settled = settleWithoutPayments(row, tenants.get(key))
        const resolved = tenants.get(key) as { tenant: string } | undefined
        plans.set(key, settled ? { settled } : { tenant: resolved!.tenant })
      } catch (error) {
        plans.set(key, { error })
      }
    }
    return plans
  }

  /** The mark a row gets with its claim: what its plan expects if applying goes as usual. */
  const expectedMark = (row: ClaimedRow, plan: RowPlan): ExpectedMark =>
    'settled' in plan
      ? { row, outcome: plan.settled.outcome, appliedTenantId: plan.settled.appliedTenantId }
      : 'tenant' in plan
        ? { row, outcome: 'applied', appliedTenantId: plan.tenant }
        : { row, outcome: null, appliedTenantId: undefined }

  /**
   * One round's transaction: claim `due` and mark it as expected, apply (as a set, or `oneByOne`),
   * then correct the few marks that turned out otherwise and reschedule the failures.
   */
  const runRound = async (
    due: readonly ClaimedRow[],
    plans: ReadonlyMap<string, RowPlan>,
    now: Date,
    oneByOne: boolean,
  ): Promise<{ round: RoundResult; methodUpdates: ProcessedMark[] }> =>
    db.db.transaction().execute(async (tx) => {
      const expected = new Map(
        due.map((row) => {
          const key = rowKey(row.tenantId, row.gateway, row.eventId)
          return [key, expectedMark(row, plans.get(key)!)]
        }),
      )
      const rows = await claimRows(tx, [...expected.values()], now)
      const done: ProcessedMark[] = []
      const failed: FailedMark[] = []
      const work: { row: ClaimedRow; tenant: string }[] = []
      for (const row of rows) {
        const plan = plans.get(rowKey(row.tenantId, row.gateway, row.eventId))!
        if ('settled' in plan) done.push({ ...plan.settled, row })
        else if ('tenant' in plan) work.push({ row, tenant: plan.tenant })
        else failed.push(failure(row, plan.error, now))
      }
      const payments = work.filter((w) => !isMethodUpdate(w.row))
      // A row that failed before is applied on its own, under a savepoint: if it is the kind that
      // fails a whole set (a ledger refusal aborts the statement), it would otherwise send every
      // round it is retried in back to one row at a time. Only its own first failure costs its round
      // that fallback. It goes after the set: what a retry waited for (a refund for its capture, an
      // event for its payment) usually arrives as a new row, which the set applies first.
      const suspects = oneByOne ? payments : payments.filter((w) => w.row.attempts > 0)
      const fresh = oneByOne ? [] : payments.filter((w) => w.row.attempts === 0)
      for (const applied of [
        await applyRows(tx, fresh, now, false),
        await applyRows(tx, suspects, now, true),
      ]) {
        done.push(...applied.done)
        failed.push(...applied.failed)
      }
      const methods = await applyMethodRows(
        tx,
        work.filter((w) => isMethodUpdate(w.row)),
        now,
      )
      done.push(...methods.done)
      failed.push(...methods.failed)
      // The claim marked every row as expected; only those settled otherwise are written again.
      await correctOutcomes(
        tx,
        done.filter((d) => {
          const e = expected.get(rowKey(d.row.tenantId, d.row.gateway, d.row.eventId))!
          return e.outcome !== d.outcome || e.appliedTenantId !== d.appliedTenantId
        }),
      )
      for (const f of failed) {
        await markFailed(tx, f)
        const log = {
          eventId: f.row.eventId,
          gateway: f.row.gateway,
          attempts: f.row.attempts + 1,
          error: f.error,
        }
        if (f.dead) logger?.error(log, 'webhook event dead-lettered; replay with `moneta webhooks replay`')
        else logger?.warn({ ...log, retryAt: f.nextAttemptAt }, 'webhook event failed; will retry')
      }
      const dead = failed.filter((f) => f.dead).length
      return {
        round: {
          claimed: rows.length,
          processed: done.length,
          retried: failed.length - dead,
          dead,
          isolated: suspects.length,
        },
        methodUpdates: methods.done.filter((d) => d.outcome === 'applied'),
      }
    })

  const processDue: WebhookInbox['processDue'] = async (opts = {}) => {
    const now = clock.now()
    // Tenants are looked up outside the round's transaction: on PGlite (one connection) a lookup
    // through another handle inside it would wait for it forever.
    const due = await peekDue(db.db, now, opts.limit ?? claimBatch, opts.only)
    if (due.length === 0) return NOTHING
    const plans = planRows(due, await resolveAll(due))
    let r: Awaited<ReturnType<typeof runRound>>
    try {
      r = await runRound(due, plans, now, false)
    } catch (err) {
      if (!(err instanceof RoundAsSetFailed)) throw err
      // Rolled back whole: nothing of the set was written and its rows are pending again.
      if (err.rows > 1)
        logger?.warn(
          { err: err.cause, rows: err.rows },
          'webhook round failed as a set; applying its rows one by one',
        )
      r = await runRound(due, plans, now, true)
    }
    await afterMethodUpdates(r.methodUpdates)
    return r.round
  }

  // ---- background loop ----

  let running = false
  let kicked = false
  const sleepers = new Set<() => void>()
  const kick = () => {
    kicked = true
    for (const wake of sleepers) wake()
  }
  let listener: import('pg').PoolClient | undefined
  const loopsDone: Promise<void>[] = []

  const listen = async () => {
    if (!db.pool || listener) return
    const client = await db.pool.connect()
    client.on('notification', kick)
    client.on('error', (err) => {
      logger?.warn({ err }, 'webhook inbox listener connection lost')
      listener = undefined
      client.release(true)
    })
    await client.query(`LISTEN ${WEBHOOK_INBOX_CHANNEL}`)
    listener = client
  }

  const loop = async () => {
    while (running) {
      kicked = false
      let claimed = 0
      try {
        if (!listener) await listen()
        claimed = (await processDue()).claimed
      } catch (err) {
        logger?.warn({ err }, 'webhook inbox round failed; retrying')
      }
      if (!running || claimed >= claimBatch || kicked) continue
      await new Promise<void>((resolve) => {
        const wake = () => {
          sleepers.delete(wake)
          resolve()
        }
        sleepers.add(wake)
        setTimeout(wake, pollMs).unref()
      })
    }
  }

  const stop = async () => {
    running = false
    kick()
    await Promise.all(loopsDone.splice(0))
    if (listener) {
      await listener.query(`UNLISTEN ${WEBHOOK_INBOX_CHANNEL}`).catch(() => undefined)
      listener.release()
      listener = undefined
    }
  }

  return {
    async receive(gatewayName, rawBody, headers) {
      const gw = deps.gateway(gatewayName)
      if (!gw) throw webhookGatewayUnknown(gatewayName)
      const event = await gw.verifyWebhook(rawBody, headers, clock.now())
      const row: NewInboxRow = {
        tenantId: routingTenant(event),
        gateway: gw.name,
        event: toStoredEvent(event),
        rawBody,
        headers: keptHeaders(headers),
        receivedAt: clock.now(),
      }
      let isNew: boolean
      try {
        isNew = await batcher.submit(row)
      } catch (err) {
        logger?.error({ err, eventId: event.id }, 'webhook inbox insert failed')
        throw webhookInboxUnavailable(err)
      }
      if (isNew) kick()
      return { eventId: event.id, tenantId: row.tenantId, duplicate: !isNew }
    },
    processDue,
    async start() {
      if (running || loops === 0) return
      running = true
      await listen().catch((err: unknown) => logger?.warn({ err }, 'webhook inbox LISTEN failed; polling'))
      for (let i = 0; i < loops; i++) loopsDone.push(loop())
    },
    stop,
    list: (filter = {}) => listRows(db.db, filter),
    counts: (tenantId) => countByStatus(db.db, tenantId),
    async replay(filter) {
      const revived = await reviveDead(db.db, filter, clock.now())
      if (revived.length === 0) throw webhookEventNotDead(filter.eventId ?? '(any)')
      const only: ListFilter = {
        ...(filter.gateway ? { gateway: filter.gateway } : {}),
        ...(filter.eventId ? { eventId: filter.eventId } : {}),
      }
      let round: RoundResult = NOTHING
      for (let left = revived.length; left > 0;) {
        const r = await processDue({ limit: Math.min(left, claimBatch), only })
        round = {
          claimed: round.claimed + r.claimed,
          processed: round.processed + r.processed,
          retried: round.retried + r.retried,
          dead: round.dead + r.dead,
          isolated: round.isolated + r.isolated,
        }
        if (r.claimed === 0) break
        left -= r.claimed
      }
      kick()
      return { revived, round }
    },
    async close() {
      await stop()
      await batcher.close()
      await workersNotifier.settled()
    },
  }
}
