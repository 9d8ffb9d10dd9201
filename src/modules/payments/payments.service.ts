import { createHash } from 'node:crypto'
import { sql, type Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { retryTransient } from '../../shared/db/retry.js'
import type { Database } from '../../shared/db/schema.js'
import { AppError, invalid } from '../../shared/errors.js'
import type { IdGenerator } from '../../shared/ids.js'
import { currency as lookupCurrency, MAX_AMOUNT } from '../../shared/money.js'
import type { Outbox } from '../events/index.js'
import type { Ledger } from '../ledger/index.js'
import {
  GatewayError,
  isGatewayError,
  type DateRange,
  type GatewayEvent,
  type GatewayPaymentState,
  type LedgerFact,
  type PaymentGateway,
  type RefundResult,
} from './gateway.js'
import { sandboxCardOf } from './gateways/sandbox/sandbox.js'
import {
  accountProvisioner,
  chartOfAccounts,
  mapStep,
  payoutCommand,
  type ChartOfAccounts,
} from './ledger-mapping.js'
import {
  amountCapturable,
  amountRefundable,
  factOf,
  invalidState,
  outOfOrder,
  plan,
  type CaptureMethod,
  type Fact,
  type Payment,
  type PaymentEventName,
  type PaymentStatus,
} from './payments.js'
import {
  captureExceedsAuthorized,
  idempotencyConflict,
  idempotencyInProgress,
  noGateway,
  operationInProgress,
  paymentNotFound,
  payoutExceedsBalance,
  payoutNotFound,
} from './payments.errors.js'
import { transitionRecord, type PaymentsAudit } from './payments.audit.js'
import { PAYMENT_EVENTS } from './payments.events.js'
import {
  createPaymentsStore,
  type Dispute,
  type Payout,
  type Refund,
  type RoutingRuleRow,
} from './payments.store.js'
import { route, validateRules, type GatewayRegistry, type RoutingRule } from './routing.js'

type Tx = Transaction<Database>

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
}

export interface CreatePaymentInput {
  readonly amount: bigint
  readonly currency: string
  readonly paymentMethod: string
  readonly capture?: CaptureMethod
  /** Send it to a gateway now (default true); else it waits in requires_confirmation. */
  readonly confirm?: boolean
  readonly customer?: string
  readonly description?: string
  readonly metadata?: Record<string, string>
  /** Card details known before authorisation, for routing (derived from sandbox tokens otherwise). */
  readonly card?: { readonly brand?: string; readonly country?: string }
}

export interface WriteOptions {
  /** Same key + same request → the original result; same key + another request → IDEMPOTENCY_CONFLICT. */
  readonly idempotencyKey?: string
}

export interface PaymentFilter {
  readonly status?: PaymentStatus
  readonly customer?: string
  readonly gateway?: string
  readonly after?: string
  readonly limit?: number
}

export interface Payments {
  /** Creates a payment and, unless confirm is false, sends it to a gateway chosen by routing. */
  create(tenant: string, input: CreatePaymentInput, opts?: WriteOptions): Promise<Payment>
  /** requires_confirmation | requires_action → processing → the gateway's answer. */
  confirm(tenant: string, id: string, opts?: WriteOptions): Promise<Payment>
  /** Captures all (default) or part of the authorised amount, once. */
  capture(tenant: string, id: string, amount?: bigint, opts?: WriteOptions): Promise<Payment>
  cancel(tenant: string, id: string, opts?: WriteOptions): Promise<Payment>
  /** Refunds all that is left (default) or part; several refunds up to the captured amount. */
  refund(
    tenant: string,
    id: string,
    input?: { amount?: bigint; reason?: string },
    opts?: WriteOptions,
  ): Promise<Refund>
  /** Only metadata can change after creation. */
  updateMetadata(
    tenant: string,
    id: string,
    metadata: Record<string, string>,
    opts?: WriteOptions,
  ): Promise<Payment>
  get(tenant: string, id: string): Promise<Payment>
  list(tenant: string, filter?: PaymentFilter): Promise<{ items: readonly Payment[]; next: string | null }>
  listRefunds(tenant: string, id: string): Promise<readonly Refund[]>
  /** Gateway attempts of a payment (routing and failover trail). */
  attempts(tenant: string, id: string): Promise<readonly Record<string, string>[]>
  /**
   * Applies a normalised gateway event through the same transition code as the API, inside the
   * caller's transaction, under the payment's row lock. Idempotent. Throws PAYMENT_EVENT_OUT_OF_ORDER
   * (retryable) when the event needs a fact not known yet (a refund before its capture).
   */
  applyGatewayEvent(
    tenant: string,
    gateway: string,
    event: GatewayEvent,
    opts: { tx: Tx },
  ): Promise<'applied' | 'duplicate' | 'ignored'>
  /** What the books say each gateway fact was, for reconciliation. */
  ledgerFacts(tenant: string, gateway: string, range: DateRange): Promise<LedgerFact[]>
  /** Webhook routing: which tenant a vendor payment id belongs to. */
  findTenantByGatewayRef(
    gateway: string,
    gatewayRef: string,
  ): Promise<{ tenantId: string; paymentId: string } | undefined>
  findTenantByPaymentId(paymentId: string): Promise<string | undefined>
  setRoutingRules(tenant: string, rules: readonly RoutingRule[]): Promise<readonly RoutingRule[]>
  routingRules(tenant: string): Promise<readonly RoutingRule[]>
  /** Asks the gateway about payments in unknown / processing / in-flight states; returns how many changed. */
  sweep(): Promise<number>
  payout(
    tenant: string,
    input: { gateway: string; amount: bigint; currency: string },
    opts?: WriteOptions,
  ): Promise<Payout>
  getPayout(tenant: string, id: string): Promise<Payout>
  chartOfAccounts(gateway: string, currency: string): ChartOfAccounts
  readonly gateways: GatewayRegistry
}

// ---- serialised results, for idempotent replays ----

type Json = Record<string, unknown>
const BIG_FIELDS = [
  'amount',
  'amountAuthorized',
  'amountCaptured',
  'amountRefunded',
  'amountRefundPending',
  'amountDisputed',
  'amountFee',
] as const
const DATE_FIELDS = ['createdAt', 'updatedAt'] as const

function toJson(value: object): Json {
  const out: Json = {}
  for (const [k, v] of Object.entries(value))
    out[k] = typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v
  return out
}

function fromJson<T>(json: Json): T {
  const out: Json = { ...json }
  for (const k of BIG_FIELDS) if (typeof out[k] === 'string') out[k] = BigInt(out[k])
  for (const k of DATE_FIELDS) if (typeof out[k] === 'string') out[k] = new Date(out[k])
  return out as T
}

function canonical(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Json)[k] !== undefined)
        .map((k) => [k, canonical((value as Json)[k])]),
    )
  return value
}

const hashOf = (op: string, request: unknown) =>
  createHash('sha256')
    .update(JSON.stringify([op, canonical(request)]))
    .digest('base64url')

const METADATA_MAX_KEYS = 50

function validateMetadata(m: Record<string, string> | undefined): void {
  if (!m) return
  const keys = Object.keys(m)
  if (keys.length > METADATA_MAX_KEYS)
    throw invalid('INVALID_METADATA', `metadata has at most ${METADATA_MAX_KEYS} keys.`)
  for (const k of keys) {
    if (k.length === 0 || k.length > 64)
      throw invalid('INVALID_METADATA', 'metadata keys are 1 to 64 characters.')
    const v = m[k]
    if (typeof v !== 'string' || v.length > 500)
      throw invalid('INVALID_METADATA', `metadata.${k} must be a string of at most 500 characters.`)
  }
}

function validateAmount(amount: bigint, field = 'amount'): void {
  if (amount <= 0n) throw invalid('INVALID_AMOUNT', `${field} must be greater than zero.`)
  if (amount > MAX_AMOUNT) throw invalid('AMOUNT_OUT_OF_RANGE', `${field} exceeds the maximum ${MAX_AMOUNT}.`)
}

interface KeyContext {
  /** The resource an earlier attempt with this key created before it failed. */
  readonly resume: string | undefined
  /** Binds the key to the resource this attempt creates, in that resource's transaction. */
  readonly bind: (tx: Tx, resourceId: string) => Promise<void>
}

export function createPayments(deps: PaymentsDeps): Payments {
  const store = createPaymentsStore(deps.db)
  const provision = accountProvisioner(deps.ledger)
  const sweepAfterMs = deps.sweepAfterMs ?? 60_000
  const keyTakeoverMs = deps.keyTakeoverMs ?? 60_000
  const now = () => deps.clock.now()
  const onRetry = (err: unknown, attempt: number) =>
    deps.logger?.debug({ err, attempt }, 'payments transaction retried')
  /** Work that checks its own effect first, so it may run again after contention or a lost connection. */
  const again = <T>(work: () => Promise<T>): Promise<T> =>
    retryTransient(work, { onConnectionLoss: true, onRetry })
  /** A transaction retried on contention (it was rolled back, so running it again is safe). */
  const transaction = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
    retryTransient(() => deps.db.transaction().execute(work), { onRetry })
  /** A transaction that checks its own effect first: also retried after a lost connection. */
  const idempotentTransaction = <T>(work: (tx: Tx) => Promise<T>): Promise<T> =>
    again(() => deps.db.transaction().execute(work))

  /**
   * Runs `run` once per idempotency key. The key is claimed in its own transaction; the result is
   * stored when `run` succeeds; on an error the key is released, so the same request may be retried.
   * A request that created something before failing (a payment whose confirm found every gateway
   * down) bound the key to it: the retry gets its id as `resume` and carries on with it.
   * A claim left by a crashed process is taken over after a minute.
   */
  async function idempotent<T extends object>(
    tenant: string,
    key: string | undefined,
    op: string,
    request: unknown,
    run: (ctx: KeyContext) => Promise<T>,
  ): Promise<T> {
    if (key === undefined) return run({ resume: undefined, bind: () => Promise.resolve() })
    if (key.length === 0 || key.length > 255)
      throw invalid('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key is 1 to 255 characters.')
    const hash = hashOf(op, request)
    const claim = await deps.db.transaction().execute(async (tx) => {
      const c = await store.claimKey(tx, tenant, key, op, hash, now())
      if (c.claimed) return { resume: undefined }
      if (c.hash !== hash) throw idempotencyConflict()
      if (c.response !== null && c.response !== undefined) return { replay: c.response as Json }
      if (now().getTime() - c.claimedAt.getTime() < keyTakeoverMs) throw idempotencyInProgress()
      await store.reclaimKey(tx, tenant, key, now())
      return { resume: c.resourceId ?? undefined }
    })
    if ('replay' in claim) return fromJson<T>(claim.replay)
    let result: T
    try {
      result = await run({ resume: claim.resume, bind: (tx, id) => store.bindKey(tx, tenant, key, id) })
    } catch (err) {
      // A key bound to its resource stays (the gateway may have acted): the retry resumes it.
      await again(() => store.releaseKey(deps.db, tenant, key)).catch((e: unknown) =>
        deps.logger?.warn({ err: e }, 'idempotency key not released; it is taken over after a minute'),
      )
      throw err
    }
    await again(() => store.completeKey(deps.db, tenant, key, toJson(result)))
    return result
  }

  async function mustGet(ex: Db | Tx, tenant: string, id: string, lock = false): Promise<Payment> {
    const p = await store.getPayment(ex, tenant, id, lock)
    if (!p) throw paymentNotFound(id)
    return p
  }

  function paymentPayload(p: Payment): Json {
    return {
      paymentId: p.id,
      status: p.status,
      amount: p.amount.toString(),
      currency: p.currency,
      amountCaptured: p.amountCaptured.toString(),
      amountRefunded: p.amountRefunded.toString(),
      gateway: p.gateway,
      gatewayRef: p.gatewayRef,
      customer: p.customer,
      declineCode: p.declineCode,
    }
  }

  interface FactContext {
    readonly refund?: Refund
    readonly dispute?: Dispute
  }

  const EVENT_TOPIC: Record<PaymentEventName, string> = {
    authorized: PAYMENT_EVENTS.authorized,
    captured: PAYMENT_EVENTS.captured,
    failed: PAYMENT_EVENTS.failed,
    canceled: PAYMENT_EVENTS.canceled,
    refund_succeeded: PAYMENT_EVENTS.refundSucceeded,
    dispute_opened: PAYMENT_EVENTS.disputeOpened,
    dispute_won: PAYMENT_EVENTS.disputeWon,
    dispute_lost: PAYMENT_EVENTS.disputeLost,
  }

  /**
   * The single writer of payment transitions: reduces the fact, posts its ledger steps, records the
   * reconciliation facts, writes the payment and enqueues its events, all in `tx`, on a payment the
   * caller has locked (SELECT … FOR UPDATE).
   */
  async function applyFact(
    tx: Tx,
    p: Payment,
    fact: Fact,
    ctx: FactContext = {},
    patch: Partial<Pick<Payment, 'gateway' | 'inFlight'>> = {},
  ): Promise<{ outcome: 'applied' | 'duplicate' | 'ignored'; payment: Payment }> {
    const planned = plan(p, fact)
    const base: Payment = { ...p, ...patch }
    if (planned.outcome !== 'applied') {
      if (Object.keys(patch).length === 0) return { outcome: planned.outcome, payment: p }
      const touched = { ...base, updatedAt: now() }
      await store.updatePayment(tx, touched)
      return { outcome: planned.outcome, payment: touched }
    }
    let next: Payment = { ...p, ...planned.next, ...patch, updatedAt: now() }
    const gateway = next.gateway ?? 'sandbox'
    const chart = chartOfAccounts(gateway, p.currency)
    const facts: (LedgerFact & { id: string })[] = []
    // The hold goes first (the post names its id); every other step of the fact goes in one batch.
    const rounds = [
      planned.ledger.filter((x) => x.kind === 'hold'),
      planned.ledger.filter((x) => x.kind !== 'hold'),
    ]
    for (const steps of rounds) {
      if (steps.length === 0) continue
      const mapped = steps.map((step) =>
        mapStep(step, {
          paymentId: p.id,
          gateway,
          gatewayRef:
            (step.kind === 'refund'
              ? ctx.refund?.gatewayRef
              : step.kind.startsWith('dispute')
                ? ctx.dispute?.gatewayRef
                : undefined) ??
            next.gatewayRef ??
            p.id,
          currency: p.currency,
          holdTransactionId: next.holdTransactionId,
          chart,
          factKey: ctx.refund?.id ?? ctx.dispute?.id ?? 'payment',
        }),
      )
      const results = await deps.ledger.execute(
        p.tenantId,
        mapped.map((m) => m.command),
        { tx, atomic: true },
      )
      steps.forEach((step, i) => {
        const result = results[i]
        if (!result?.ok)
          throw new AppError(
            'PAYMENT_LEDGER_REJECTED',
            'internal',
            `The ledger refused the ${step.kind} of ${p.id}: ${result ? result.message : 'no result'}`,
          )
        if (step.kind === 'hold') next = { ...next, holdTransactionId: result.transactionId }
        const fact = mapped[i]!.fact
        if (fact)
          facts.push({ ...fact, id: deps.ids('plf'), ledgerTransactionId: result.transactionId, at: now() })
      })
    }
    await store.updatePayment(tx, next)
    await store.insertFacts(tx, p.tenantId, facts)
    if (deps.audit) {
      const related = { refundId: ctx.refund?.id, disputeId: ctx.dispute?.id }
      await deps.audit.recordIn(tx, transitionRecord(deps.audit, p, next, fact, related))
    }
    if (deps.outbox && planned.events.length > 0) {
      await deps.outbox.enqueue(
        tx,
        planned.events.map((e) => ({
          tenantId: p.tenantId,
          topic: EVENT_TOPIC[e],
          key: p.id,
          payload:
            e === 'refund_succeeded' && ctx.refund
              ? {
                  refundId: ctx.refund.id,
                  paymentId: p.id,
                  amount: ctx.refund.amount.toString(),
                  currency: p.currency,
                  gateway,
                  gatewayRef: ctx.refund.gatewayRef,
                }
              : e.startsWith('dispute') && ctx.dispute
                ? {
                    disputeId: ctx.dispute.id,
                    paymentId: p.id,
                    amount: ctx.dispute.amount.toString(),
                    currency: p.currency,
                    gateway,
                    gatewayRef: ctx.dispute.gatewayRef,
                  }
                : paymentPayload(next),
        })),
      )
    }
    return { outcome: 'applied', payment: next }
  }

  /** Locks the payment in a new transaction and applies a fact. */
  async function applyNow(
    tenant: string,
    id: string,
    fact: Fact,
    patch: Partial<Pick<Payment, 'gateway' | 'inFlight'>> = {},
  ): Promise<Payment> {
    // A gateway's answer must be booked: the fact is idempotent (a repeat is a duplicate), so the
    // booking is retried through contention and lost connections rather than answered 503.
    return idempotentTransaction(async (tx) => {
      const p = await mustGet(tx, tenant, id, true)
      return (await applyFact(tx, p, fact, {}, patch)).payment
    })
  }

  async function setInFlight(
    tenant: string,
    id: string,
    op: string | null,
    check: (p: Payment) => void,
    bind?: KeyContext['bind'],
  ): Promise<Payment> {
    return transaction(async (tx) => {
      const p = await mustGet(tx, tenant, id, true)
      if (op !== null && p.inFlight) throw operationInProgress(p.inFlight)
      check(p)
      const next = { ...p, inFlight: op, updatedAt: now() }
      await store.updatePayment(tx, next)
      // From here the gateway may act: the caller's key stays bound to the payment until it is known.
      await bind?.(tx, id)
      return next
    })
  }

  async function rulesOf(tenant: string): Promise<RoutingRule[]> {
    return (await store.listRules(tenant)).map((r) => ({
      id: r.id,
      priority: r.priority,
      match: {
        ...(r.match.currencies ? { currencies: r.match.currencies as string[] } : {}),
        ...(r.match.minAmount !== undefined ? { minAmount: BigInt(r.match.minAmount as string) } : {}),
        ...(r.match.maxAmount !== undefined ? { maxAmount: BigInt(r.match.maxAmount as string) } : {}),
        ...(r.match.cardBrands ? { cardBrands: r.match.cardBrands as string[] } : {}),
        ...(r.match.cardCountries ? { cardCountries: r.match.cardCountries as string[] } : {}),
      },
      gateways: r.gateways,
    }))
  }

  /** Sends the payment to the routed gateways in turn until one answers (failover on unavailable). */
  async function confirmNow(tenant: string, id: string): Promise<Payment> {
    const current = await mustGet(deps.db, tenant, id)
    const card = await store.cardOf(tenant, id)
    const order =
      current.gateway && current.status === 'requires_action'
        ? [current.gateway] // 3-D Secure continues where it started
        : route(await rulesOf(tenant), deps.gateways, { ...current, card })
    if (order.length === 0)
      throw noGateway(`no configured gateway takes ${current.currency} with ${current.capture} capture`)
    // Processing, and the gateway about to be asked, are recorded before the call, so the sweeper
    // knows whom to ask if this process dies mid-call.
    const sent = (gateway: string) => ({ gateway, at: now().toISOString(), outcome: 'sent' })
    await provision(tenant, order[0]!, current.currency)
    const p = await deps.db.transaction().execute(async (tx) => {
      const locked = await mustGet(tx, tenant, id, true)
      const r = await applyFact(tx, locked, { type: 'processing' }, {}, { gateway: order[0]! })
      await store.appendAttempt(tx, tenant, id, sent(order[0]!))
      return r.payment
    })
    let lastError: GatewayError | undefined
    for (const [i, gatewayId] of order.entries()) {
      const gateway = deps.gateways.require(gatewayId)
      if (i > 0) {
        await provision(tenant, gatewayId, p.currency)
        await deps.db.transaction().execute(async (tx) => {
          const locked = await mustGet(tx, tenant, id, true)
          await store.updatePayment(tx, { ...locked, gateway: gatewayId, updatedAt: now() })
          await store.appendAttempt(tx, tenant, id, sent(gatewayId))
        })
      }
      let fact: Fact
      try {
        const state = await gateway.authorize({
          paymentId: p.id,
          tenantId: tenant,
          amount: p.amount,
          currency: p.currency,
          paymentMethod: p.paymentMethod,
          capture: p.capture,
          ...(p.customer ? { customerId: p.customer } : {}),
          idempotencyKey: `${p.id}:authorize`,
          metadata: { ...p.metadata, moneta_tenant: tenant, moneta_payment: p.id },
        })
        fact =
          state.status === 'requires_action'
            ? {
                type: 'requires_action',
                gatewayRef: state.gatewayRef,
                nextAction: { type: 'authenticate', gatewayRef: state.gatewayRef },
              }
            : factOf(state)
      } catch (err) {
        const e = asGatewayError(err)
        await deps.db.transaction().execute((tx) =>
          store.appendAttempt(tx, tenant, id, {
            gateway: gatewayId,
            at: now().toISOString(),
            outcome: e.failure,
            code: e.code,
          }),
        )
        if (e.retryable) {
          lastError = e
          continue
        }
        if (e.failure === 'declined')
          fact = {
            type: 'failed',
            ...(e.vendorCode ? { declineCode: e.vendorCode } : { declineCode: 'declined' }),
          }
        else if (e.failure === 'unknown') fact = { type: 'unknown' }
        else {
          await applyNow(tenant, id, { type: 'unavailable' })
          throw e
        }
      }
      return applyNow(tenant, id, fact, { gateway: gatewayId })
    }
    await applyNow(tenant, id, { type: 'unavailable' })
    throw lastError ?? new GatewayError('unavailable', 'No gateway answered.')
  }

  /** A failure we cannot classify happened after the request may have been sent: outcome unknown. */
  function asGatewayError(err: unknown): GatewayError {
    if (isGatewayError(err)) return err
    deps.logger?.warn({ err }, 'gateway call failed unexpectedly; outcome treated as unknown')
    return new GatewayError('unknown', 'The gateway call failed unexpectedly.', { cause: err })
  }

  /**
   * Makes the gateway call of an operation marked in flight and applies its answer, clearing the mark.
   * An unknown outcome puts the payment in `unknown` for the sweeper; a definite failure just clears it.
   */
  async function settleInFlight(
    tenant: string,
    id: string,
    call: () => Promise<GatewayPaymentState>,
  ): Promise<Payment> {
    let state: GatewayPaymentState
    try {
      state = await call()
    } catch (err) {
      const e = asGatewayError(err)
      if (e.failure === 'unknown') return applyNow(tenant, id, { type: 'unknown' }, { inFlight: null })
      await setInFlight(tenant, id, null, () => undefined)
      throw e
    }
    return applyNow(tenant, id, factOf(state), { inFlight: null })
  }

  function gatewayOf(p: Payment): PaymentGateway {
    if (!p.gateway) throw invalidState(p.status, 'act on')
    return deps.gateways.require(p.gateway)
  }

  /** Asks the gateway what became of a payment in processing, unknown or in flight, and applies it. */
  async function resolveWithGateway(p: Payment): Promise<Payment> {
    if (!p.gateway) {
      if (p.status !== 'processing') return p
      return applyNow(p.tenantId, p.id, { type: 'unavailable' })
    }
    const state: GatewayPaymentState | undefined = await deps.gateways
      .require(p.gateway)
      .retrieve({ ...(p.gatewayRef ? { gatewayRef: p.gatewayRef } : {}), paymentId: p.id })
    const fact: Fact = state
      ? factOf(state)
      : p.status === 'processing'
        ? { type: 'unavailable' }
        : p.status === 'unknown'
          ? { type: 'failed', declineCode: 'gateway_no_record' }
          : { type: 'unknown' }
    if (state?.status === 'processing') return p
    return applyNow(p.tenantId, p.id, fact, { inFlight: null })
  }

  async function sweepOne(tenant: string, id: string): Promise<boolean> {
    const p = await mustGet(deps.db, tenant, id)
    const after = await resolveWithGateway(p)
    return (
      after.status !== p.status || after.inFlight !== p.inFlight || after.amountCaptured !== p.amountCaptured
    )
  }

  /**
   * A retry of a capture or cancel whose earlier attempt (same key) failed after the gateway may have
   * acted: what the gateway did is learnt first, and an operation already done answers its result.
   */
  async function resumeInFlight(
    tenant: string,
    id: string,
    op: 'capture' | 'cancel',
    done: (p: Payment) => boolean,
  ): Promise<Payment | undefined> {
    let p = await mustGet(deps.db, tenant, id)
    if (p.inFlight === op || p.status === 'unknown') p = await resolveWithGateway(p)
    return done(p) ? p : undefined
  }

  /**
   * Books a gateway's answer about refund `r` on its locked payment, once: a refund already settled
   * (by its webhook, the sweeper or an earlier attempt) is returned as it is.
   */
  async function settleRefund(
    tx: Tx,
    p: Payment,
    r: Refund,
    status: Refund['status'],
    gatewayRef: string | null,
  ): Promise<Refund> {
    if (r.status !== 'pending') return r
    const ref = gatewayRef ?? r.gatewayRef
    await store.updateRefund(tx, p.tenantId, r.id, { status, gatewayRef: ref, at: now() })
    const next: Refund = { ...r, status, gatewayRef: ref, updatedAt: now() }
    if (status === 'succeeded')
      await applyFact(tx, p, { type: 'refunded', amount: r.amount, reserved: true }, { refund: next })
    else if (status === 'failed') await applyFact(tx, p, { type: 'refund_released', amount: r.amount })
    // pending at the gateway: stays reserved until its webhook (refund.succeeded / failed).
    return next
  }

  /** Settles a reserved refund with an answer in a transaction of its own, retried until booked. */
  function bookRefund(tenant: string, r: Refund, status: Refund['status'], gatewayRef: string | null) {
    return idempotentTransaction(async (tx) => {
      const p = await mustGet(tx, tenant, r.paymentId, true)
      const current = (await store.getRefund(tx, tenant, r.id))!
      return settleRefund(tx, p, current, status, gatewayRef)
    })
  }

  /**
   * Makes the gateway call of a reserved refund, or repeats it under the same gateway idempotency
   * key (its id) when an earlier call's answer was lost, and books the answer. A gateway that acted
   * is booked: the booking is retried, and if it still fails the refund stays reserved and the
   * caller's key stays bound to it, so neither a retry nor the sweeper refunds twice.
   */
  async function driveRefund(tenant: string, r: Refund): Promise<Refund> {
    const p = await mustGet(deps.db, tenant, r.paymentId)
    const gw = deps.gateways.require(r.gateway)
    let result: RefundResult
    try {
      result = await gw.refund(p.gatewayRef!, r.amount, r.currency, r.id)
    } catch (err) {
      const e = asGatewayError(err)
      // An unknown outcome keeps the reservation (the webhook or the sweeper settles it); anything else releases it.
      if (e.failure !== 'unknown') await bookRefund(tenant, r, 'failed', null)
      throw e
    }
    return bookRefund(tenant, r, result.status, result.gatewayRef)
  }

  /** Repeats the gateway call of refunds whose answer never came back (process died, connection lost). */
  async function sweepRefunds(olderThan: Date): Promise<number> {
    let changed = 0
    for (const { tenantId, refund } of await store.refundsToSweep(olderThan, 100)) {
      // Without vendor-side idempotency a repeat could refund twice: those wait for their webhook.
      if (!deps.gateways.get(refund.gateway)?.capabilities.idempotentRefunds) continue
      try {
        if ((await driveRefund(tenantId, refund)).status !== 'pending') changed++
      } catch (err) {
        deps.logger?.warn({ err, tenantId, refundId: refund.id }, 'refund sweep: not settled, will retry')
      }
    }
    return changed
  }

  /**
   * Which of our refunds a gateway refund event is about: by its ref; else by our refund id when the
   * vendor echoed it; else, for a refund still in flight (no ref yet), the only one of that amount.
   * Several in flight that it could be: PAYMENT_EVENT_OUT_OF_ORDER (retried after our calls return).
   */
  async function refundOfEvent(
    tx: Tx,
    p: Payment,
    gateway: string,
    event: GatewayEvent & { objectRef: string },
  ): Promise<Refund | undefined> {
    const byRef = await store.refundByRef(tx, p.tenantId, gateway, event.objectRef)
    if (byRef) return byRef
    if (event.refundId) {
      const ours = await store.getRefund(tx, p.tenantId, event.refundId)
      if (ours && ours.paymentId === p.id && ours.gateway === gateway) return ours
    }
    const inFlight = (await store.listRefunds(tx, p.tenantId, p.id)).filter(
      (r) => r.status === 'pending' && !r.gatewayRef,
    )
    const same = inFlight.filter((r) => event.amount === undefined || r.amount === event.amount)
    if (same.length === 1) return same[0]
    if (inFlight.length > 0) throw outOfOrder('Refunds of this payment are still in flight; retry later.')
    return undefined
  }

  const service: Payments = {
    gateways: deps.gateways,
    chartOfAccounts,

    async create(tenant, input, opts = {}) {
      lookupCurrency(input.currency)
      validateAmount(input.amount)
      validateMetadata(input.metadata)
      if (!input.paymentMethod || input.paymentMethod.length > 255)
        throw invalid(
          'INVALID_PAYMENT_METHOD',
          'paymentMethod is a token, nonce or saved method id (1 to 255 characters).',
        )
      return idempotent(tenant, opts.idempotencyKey, 'create', input, async ({ resume, bind }) => {
        if (resume) {
          // An earlier attempt made this payment, then could not confirm it (or died while the
          // gateway was being asked): learn what the gateway did, then carry on with it.
          let earlier = await mustGet(deps.db, tenant, resume)
          if (earlier.status === 'processing' || earlier.status === 'unknown')
            earlier = await resolveWithGateway(earlier)
          if (earlier.status === 'processing' || earlier.status === 'unknown')
            throw new GatewayError(
              'unknown',
              'The gateway has not told us the outcome yet; retry with the same key.',
            )
          const again = input.confirm !== false && earlier.status === 'requires_confirmation'
          return again ? confirmNow(tenant, earlier.id) : earlier
        }
        const at = now()
        const p: Payment = {
          id: deps.ids('pay'),
          tenantId: tenant,
          status: 'requires_confirmation',
          amount: input.amount,
          currency: input.currency,
          capture: input.capture ?? 'automatic',
          paymentMethod: input.paymentMethod,
          customer: input.customer ?? null,
          description: input.description ?? null,
          metadata: input.metadata ?? {},
          gateway: null,
          gatewayRef: null,
          declineCode: null,
          nextAction: null,
          amountAuthorized: 0n,
          amountCaptured: 0n,
          amountRefunded: 0n,
          amountRefundPending: 0n,
          amountDisputed: 0n,
          amountFee: 0n,
          holdTransactionId: null,
          inFlight: null,
          createdAt: at,
          updatedAt: at,
        }
        const card = input.card ?? sandboxCardOf(input.paymentMethod) ?? {}
        await deps.db.transaction().execute(async (tx) => {
          await store.insertPayment(tx, p, card)
          await bind(tx, p.id)
          await deps.outbox?.enqueue(tx, [
            { tenantId: tenant, topic: PAYMENT_EVENTS.created, key: p.id, payload: paymentPayload(p) },
          ])
        })
        return input.confirm === false ? p : confirmNow(tenant, p.id)
      })
    },

    async confirm(tenant, id, opts = {}) {
      return idempotent(tenant, opts.idempotencyKey, 'confirm', { id }, () => confirmNow(tenant, id))
    },

    async capture(tenant, id, amount, opts = {}) {
      if (amount !== undefined) validateAmount(amount)
      return idempotent(tenant, opts.idempotencyKey, 'capture', { id, amount }, async ({ resume, bind }) => {
        if (resume) {
          const captured = await resumeInFlight(tenant, id, 'capture', (p) => p.amountCaptured > 0n)
          if (captured) return captured
        }
        let toCapture = 0n
        const p = await setInFlight(
          tenant,
          id,
          'capture',
          (p) => {
            if (p.status !== 'requires_capture') throw invalidState(p.status, 'capture')
            const capturable = amountCapturable(p)
            toCapture = amount ?? capturable
            if (toCapture > capturable) throw captureExceedsAuthorized(toCapture, capturable)
            const gw = gatewayOf(p)
            if (toCapture < capturable && !gw.capabilities.partialCapture)
              throw new GatewayError('not_supported', `${p.gateway} cannot capture part of a payment.`)
          },
          bind,
        )
        return settleInFlight(tenant, id, () =>
          gatewayOf(p).capture(p.gatewayRef!, toCapture, p.currency, `${id}:capture`),
        )
      })
    },

    async cancel(tenant, id, opts = {}) {
      return idempotent(tenant, opts.idempotencyKey, 'cancel', { id }, async ({ resume, bind }) => {
        if (resume) {
          const canceled = await resumeInFlight(tenant, id, 'cancel', (p) => p.status === 'canceled')
          if (canceled) return canceled
        }
        const current = await mustGet(deps.db, tenant, id)
        if (current.status === 'requires_confirmation') {
          return deps.db.transaction().execute(async (tx) => {
            const p = await mustGet(tx, tenant, id, true)
            if (p.status !== 'requires_confirmation') throw invalidState(p.status, 'cancel')
            return (await applyFact(tx, p, { type: 'canceled' })).payment
          })
        }
        const p = await setInFlight(
          tenant,
          id,
          'cancel',
          (p) => {
            if (p.status !== 'requires_capture' && p.status !== 'requires_action')
              throw invalidState(p.status, 'cancel')
          },
          bind,
        )
        return settleInFlight(tenant, id, () => gatewayOf(p).cancel(p.gatewayRef!, `${id}:cancel`))
      })
    },

    async refund(tenant, id, input = {}, opts = {}) {
      if (input.amount !== undefined) validateAmount(input.amount)
      if (input.reason !== undefined && input.reason.length > 500)
        throw invalid('INVALID_REASON', 'reason is at most 500 characters.')
      return idempotent(tenant, opts.idempotencyKey, 'refund', { id, ...input }, async ({ resume, bind }) => {
        if (resume) {
          // An earlier attempt with this key reserved a refund and may have reached the gateway.
          const earlier = await store.getRefund(deps.db, tenant, resume)
          if (earlier?.status === 'succeeded') return earlier
          if (earlier?.status === 'pending') return driveRefund(tenant, earlier)
          // failed: the gateway refused it, so this retry asks again as a new refund.
        }
        // Reserve the amount under the row lock: concurrent refunds can never exceed the captured amount.
        const r = await transaction(async (tx) => {
          const p = await mustGet(tx, tenant, id, true)
          if (p.status !== 'succeeded') throw invalidState(p.status, 'refund')
          const gw = gatewayOf(p)
          const amount = input.amount ?? amountRefundable(p)
          if (!gw.capabilities.multipleRefunds && p.amountRefunded + p.amountRefundPending > 0n)
            throw new GatewayError('not_supported', `${p.gateway} allows one refund per payment.`)
          await applyFact(tx, p, { type: 'refund_reserved', amount })
          const at = now()
          const refund: Refund = {
            id: deps.ids('re'),
            paymentId: id,
            amount,
            currency: p.currency,
            status: 'pending',
            reason: input.reason ?? null,
            gateway: p.gateway!,
            gatewayRef: null,
            createdAt: at,
            updatedAt: at,
          }
          await store.insertRefund(tx, tenant, refund)
          // The key now names the refund: a retry resumes it instead of refunding again.
          await bind(tx, refund.id)
          return refund
        })
        return driveRefund(tenant, r)
      })
    },

    async updateMetadata(tenant, id, metadata, opts = {}) {
      validateMetadata(metadata)
      return idempotent(tenant, opts.idempotencyKey, 'update', { id, metadata }, () =>
        deps.db.transaction().execute(async (tx) => {
          const p = await mustGet(tx, tenant, id, true)
          const next = { ...p, metadata, updatedAt: now() }
          await store.updatePayment(tx, next)
          return next
        }),
      )
    },

    get: (tenant, id) => mustGet(deps.db, tenant, id),

    async list(tenant, filter = {}) {
      const limit = filter.limit ?? 100
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw invalid('INVALID_LIMIT', 'limit must be from 1 to 1000.')
      const items = await store.listPayments(tenant, {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.customer ? { customer: filter.customer } : {}),
        ...(filter.gateway ? { gateway: filter.gateway } : {}),
        ...(filter.after ? { after: filter.after } : {}),
        limit,
      })
      return { items, next: items.length === limit ? items[items.length - 1]!.id : null }
    },

    async listRefunds(tenant, id) {
      await mustGet(deps.db, tenant, id)
      return store.listRefunds(deps.db, tenant, id)
    },

    attempts: (tenant, id) => store.attempts(tenant, id),

    async applyGatewayEvent(tenant, gateway, event, { tx }) {
      const paymentId =
        (event.paymentId && (await store.getPayment(tx, tenant, event.paymentId))
          ? event.paymentId
          : undefined) ??
        (event.paymentRef ? await store.paymentIdByRef(tx, tenant, gateway, event.paymentRef) : undefined)
      if (!paymentId) return 'ignored'
      const p = await mustGet(tx, tenant, paymentId, true)
      if (p.gateway !== gateway) return 'ignored'
      const amountOr = (fallback: bigint) => event.amount ?? fallback
      switch (event.type) {
        case 'payment.authorized':
          return (
            await applyFact(tx, p, {
              type: 'authorized',
              amount: amountOr(p.amount),
              ...(event.paymentRef ? { gatewayRef: event.paymentRef } : {}),
            })
          ).outcome
        case 'payment.captured':
          return (
            await applyFact(tx, p, {
              type: 'captured',
              amount: amountOr(p.amountAuthorized || p.amount),
              ...(event.paymentRef ? { gatewayRef: event.paymentRef } : {}),
              ...(event.fee !== undefined ? { fee: event.fee } : {}),
            })
          ).outcome
        case 'payment.failed':
          return (await applyFact(tx, p, { type: 'failed', declineCode: 'declined' })).outcome
        case 'payment.canceled':
          return (await applyFact(tx, p, { type: 'canceled' })).outcome
        case 'refund.succeeded':
        case 'refund.failed':
          return refundEvent(tx, p, gateway, event)
        case 'dispute.opened':
        case 'dispute.won':
        case 'dispute.lost':
          return disputeEvent(tx, p, gateway, event)
        // Payouts are recorded when we ask for them; the rest is stored by the inbox, not applied.
        case 'payout.paid':
        case 'payout.failed':
        case 'ignored':
          return 'ignored'
      }
    },

    ledgerFacts: (tenant, gateway, range) => store.listFacts(tenant, gateway, range.from, range.to),
    findTenantByGatewayRef: (gateway, ref) => store.tenantByRef(gateway, ref),
    findTenantByPaymentId: (paymentId) => store.tenantByPaymentId(paymentId),

    async setRoutingRules(tenant, rules) {
      validateRules(rules, deps.gateways)
      const at = now()
      const rows: RoutingRuleRow[] = rules.map((r) => ({
        id: r.id,
        priority: r.priority,
        match: canonical(r.match) as Record<string, unknown>,
        gateways: r.gateways.map((g) => ({ gateway: g.gateway, weight: g.weight })),
        createdAt: at,
      }))
      await store.replaceRules(tenant, rows)
      return rulesOf(tenant)
    },

    routingRules: (tenant) => rulesOf(tenant),

    async sweep() {
      const olderThan = new Date(now().getTime() - sweepAfterMs)
      const due = await store.toSweep(olderThan, 100)
      let changed = await sweepRefunds(olderThan)
      for (const { tenantId, paymentId } of due) {
        try {
          if (await sweepOne(tenantId, paymentId)) changed++
        } catch (err) {
          deps.logger?.warn({ err, tenantId, paymentId }, 'payment sweep: gateway not reachable, will retry')
        }
      }
      return changed
    },

    async payout(tenant, input, opts = {}) {
      lookupCurrency(input.currency)
      validateAmount(input.amount)
      const gw = deps.gateways.require(input.gateway)
      if (!gw.payout || !gw.capabilities.payouts)
        throw new GatewayError('not_supported', `${input.gateway} does not do payouts.`)
      return idempotent(tenant, opts.idempotencyKey, 'payout', input, async () => {
        const chart = await provision(tenant, input.gateway, input.currency)
        const at = now()
        const payout: Payout = {
          id: deps.ids('po'),
          gateway: input.gateway,
          amount: input.amount,
          currency: input.currency,
          status: 'pending',
          gatewayRef: null,
          createdAt: at,
          updatedAt: at,
        }
        // The gateway balance is the sum of its signed facts less payouts still in flight.
        await deps.db.transaction().execute(async (tx) => {
          await store.lockPayouts(tx, tenant, input.gateway, input.currency)
          const r = await sql<{ balance: string }>`SELECT
              coalesce((SELECT sum(amount) FROM payment_ledger_facts WHERE tenant_id = ${tenant}
                AND gateway = ${input.gateway} AND currency = ${input.currency}), 0)
            - coalesce((SELECT sum(amount) FROM payment_payouts WHERE tenant_id = ${tenant}
                AND gateway = ${input.gateway} AND currency = ${input.currency} AND status = 'pending'), 0)
              AS balance`.execute(tx)
          const available = BigInt(r.rows[0]?.balance ?? '0')
          if (input.amount > available) throw payoutExceedsBalance(input.amount, available)
          await store.insertPayout(tx, tenant, payout)
        })
        let result
        try {
          result = await gw.payout!(input.amount, input.currency, payout.id)
        } catch (err) {
          const e = asGatewayError(err)
          if (e.failure !== 'unknown')
            await deps.db
              .transaction()
              .execute((tx) => store.updatePayout(tx, tenant, payout.id, 'failed', null, now()))
          throw e
        }
        return deps.db.transaction().execute(async (tx) => {
          const status = result.status === 'failed' ? 'failed' : 'paid'
          await store.updatePayout(tx, tenant, payout.id, status, result.gatewayRef, now())
          const done: Payout = { ...payout, status, gatewayRef: result.gatewayRef, updatedAt: now() }
          if (status === 'failed') return done
          const [res] = await deps.ledger.execute(
            tenant,
            [payoutCommand(chart, { ...payout, gatewayRef: result.gatewayRef })],
            { tx },
          )
          if (!res?.ok)
            throw new AppError(
              'PAYMENT_LEDGER_REJECTED',
              'internal',
              `The ledger refused payout ${payout.id}.`,
            )
          await store.insertFacts(tx, tenant, [
            {
              id: deps.ids('plf'),
              kind: 'payout',
              gateway: input.gateway as LedgerFact['gateway'],
              gatewayRef: result.gatewayRef,
              ledgerTransactionId: res.transactionId,
              amount: -input.amount,
              currency: input.currency,
              at: now(),
            },
          ])
          await deps.outbox?.enqueue(tx, [
            {
              tenantId: tenant,
              topic: PAYMENT_EVENTS.payoutCreated,
              key: payout.id,
              payload: {
                payoutId: payout.id,
                amount: input.amount.toString(),
                currency: input.currency,
                gateway: input.gateway,
                gatewayRef: result.gatewayRef,
                status,
              },
            },
          ])
          return done
        })
      })
    },

    async getPayout(tenant, id) {
      const p = await store.getPayout(deps.db, tenant, id)
      if (!p) throw payoutNotFound(id)
      return p
    },
  }

  async function refundEvent(
    tx: Tx,
    p: Payment,
    gateway: string,
    event: GatewayEvent,
  ): Promise<'applied' | 'duplicate' | 'ignored'> {
    if (!event.objectRef) return 'ignored'
    const known = await refundOfEvent(tx, p, gateway, { ...event, objectRef: event.objectRef })
    if (event.type === 'refund.failed') {
      if (!known || known.status !== 'pending') return known ? 'duplicate' : 'ignored'
      await settleRefund(tx, p, known, 'failed', event.objectRef)
      return 'applied'
    }
    if (known) {
      if (known.status !== 'pending') return known.status === 'succeeded' ? 'duplicate' : 'ignored'
      await settleRefund(tx, p, known, 'succeeded', event.objectRef)
      return 'applied'
    }
    // A refund we did not ask for (made in the vendor's dashboard).
    if (event.amount === undefined || event.amount <= 0n) return 'ignored'
    const at = now()
    const refund: Refund = {
      id: deps.ids('re'),
      paymentId: p.id,
      amount: event.amount,
      currency: p.currency,
      status: 'succeeded',
      reason: 'gateway',
      gateway,
      gatewayRef: event.objectRef,
      createdAt: at,
      updatedAt: at,
    }
    const r = await applyFact(tx, p, { type: 'refunded', amount: event.amount, reserved: false }, { refund })
    await store.insertRefund(tx, p.tenantId, refund)
    return r.outcome
  }

  async function disputeEvent(
    tx: Tx,
    p: Payment,
    gateway: string,
    event: GatewayEvent,
  ): Promise<'applied' | 'duplicate' | 'ignored'> {
    if (!event.objectRef) return 'ignored'
    let dispute = await store.disputeByRef(tx, p.tenantId, gateway, event.objectRef)
    let payment = p
    if (!dispute) {
      const amount = event.amount ?? payment.amountCaptured - payment.amountRefunded - payment.amountDisputed
      dispute = {
        id: deps.ids('dp'),
        paymentId: p.id,
        gateway,
        gatewayRef: event.objectRef,
        amount,
        currency: p.currency,
        status: 'opened',
      }
      // A won or lost dispute we never saw open: open it first, so the ledger passes through both.
      payment = (await applyFact(tx, payment, { type: 'dispute_opened', amount }, { dispute })).payment
      await store.upsertDispute(tx, p.tenantId, dispute, now())
      if (event.type === 'dispute.opened') return 'applied'
    } else if (event.type === 'dispute.opened') return 'duplicate'
    const outcome = event.type === 'dispute.won' ? 'won' : 'lost'
    if (dispute.status !== 'opened') return dispute.status === outcome ? 'duplicate' : 'ignored'
    const closed: Dispute = { ...dispute, status: outcome }
    await applyFact(
      tx,
      payment,
      { type: outcome === 'won' ? 'dispute_won' : 'dispute_lost', amount: dispute.amount },
      { dispute: closed },
    )
    await store.upsertDispute(tx, p.tenantId, closed, now())
    return 'applied'
  }

  return service
}
