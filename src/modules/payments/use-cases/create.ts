/**
 * Create and confirm: a payment is written, then sent to the gateways routing picks, in turn, until
 * one answers (failover on unavailable). A decline is an answer (status failed), not an error.
 */
import { GatewayError } from '../gateway.js'
import { applyFact, applyNow, paymentPayload } from '../apply-fact.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import { checkKey, idempotent, requestHash, runClaimed, type KeyContext } from '../core/idempotency.js'
import { validateAmount, validateMetadata } from '../core/validate.js'
import { currency as lookupCurrency } from '../../../shared/money.js'
import { noGateway, paymentError } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import { factOf, type Fact, type Payment, type PaymentStatus } from '../payments.js'
import { transitionOf } from '../store/transitions.js'
import type { CreatePaymentInput, WriteOptions } from '../ports.js'
import { route } from '../routing.js'
import { answer, resolveWithGateway } from './in-flight.js'
import { watchForLateRequest } from './late-requests.js'
import { rulesOf } from './routing-admin.js'

export function validateCreate(input: CreatePaymentInput): void {
  lookupCurrency(input.currency)
  validateAmount(input.amount)
  validateMetadata(input.metadata)
  if (!input.paymentMethod || input.paymentMethod.length > 255) throw paymentError('INVALID_PAYMENT_METHOD')
}

/** A new payment in requires_confirmation, as the row is first written. */
export function newPayment(c: PaymentsContext, tenant: string, input: CreatePaymentInput): Payment {
  const at = c.now()
  return {
    id: c.deps.ids('pay'),
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
}

/** Card brand and country for routing: given by the caller, else told by a gateway from the token. */
export function cardFor(c: PaymentsContext, input: CreatePaymentInput) {
  if (input.card) return input.card
  for (const id of c.deps.gateways.ids()) {
    const card = c.deps.gateways.get(id)?.cardOf?.(input.paymentMethod)
    if (card) return card
  }
  return {}
}

export async function createPayment(
  c: PaymentsContext,
  tenant: string,
  input: CreatePaymentInput,
  opts: WriteOptions = {},
): Promise<Payment> {
  validateCreate(input)
  if (input.confirm !== false) {
    const confirmed = await openAndConfirm(c, tenant, input, opts.idempotencyKey)
    if (confirmed) return confirmed
  }
  return idempotent(c, tenant, opts.idempotencyKey, 'create', input, async (k) => {
    if (k.resume) return resumeCreate(c, tenant, input, k.resume, k)
    const p = newPayment(c, tenant, input)
    const card = cardFor(c, input)
    const order = input.confirm === false ? [] : await routeOf(c, tenant, p, card)
    if (order.length > 0) await c.provision(tenant, order[0]!, p.currency)
    // One transaction writes the payment, binds the key to it and, when a gateway is to be asked,
    // records processing and that gateway before the call (so the sweeper knows whom to ask).
    const written = await c.deps.db.transaction().execute(async (tx) => {
      await c.store.insertPayment(tx, p, card)
      await k.bind(tx, p.id)
      await c.deps.outbox?.enqueue(tx, [
        { tenantId: tenant, topic: PAYMENT_EVENTS.created, key: p.id, payload: paymentPayload(p) },
      ])
      await c.store.insertTransitions(tx, [
        transitionOf(tenant, p.id, PAYMENT_EVENTS.created, paymentPayload(p), p.createdAt),
      ])
      return order.length > 0 ? markProcessing(c, tx, p, order[0]!) : p
    })
    if (input.confirm === false) return written
    if (order.length === 0) return confirmNow(c, tenant, p.id, k) // answers PAYMENT_NO_GATEWAY
    return authorizeInTurn(c, tenant, written, order, k)
  })
}

const pending = (p: Payment) => p.status === 'processing' || p.status === 'unknown'
const outcomePending = () =>
  new GatewayError('unknown', 'The gateway has not told us the outcome yet; retry with the same key.')

/**
 * A retry whose key an earlier attempt bound to a payment before it failed (or died while the gateway
 * was being asked): learn what the gateway did, then carry on with it. The earlier attempt may still
 * be alive — its claim is taken over once it is older than the takeover time, and a gateway call can
 * outlast that — so the payment is confirmed only if it is still unconfirmed under the lock; if that
 * attempt moved it on meanwhile, what it became answers instead.
 */
async function resumeCreate(
  c: PaymentsContext,
  tenant: string,
  input: CreatePaymentInput,
  id: string,
  k: KeyContext,
): Promise<Payment> {
  let earlier = await c.mustGet(c.deps.db, tenant, id)
  if (pending(earlier)) earlier = await resolveWithGateway(c, earlier)
  if (pending(earlier)) throw outcomePending()
  if (input.confirm === false || earlier.status !== 'requires_confirmation') return earlier
  return confirmNow(c, tenant, id, k, 'requires_confirmation')
}

/**
 * The common create — a new key (or none) and a gateway to ask — in the fewest round trips: the key's
 * claim, bound to the payment, the payment already processing with that gateway, and its `created`
 * event share one transaction with the creates arriving meanwhile (core/opener.ts); then the gateway
 * is asked and its answer booked with the key's answer (core/booker.ts). Undefined when the key was
 * not new (a replay, a conflict, a request in progress or to resume) or no gateway takes the payment:
 * the general path above examines the key and answers those, having written nothing here.
 */
async function openAndConfirm(
  c: PaymentsContext,
  tenant: string,
  input: CreatePaymentInput,
  key: string | undefined,
): Promise<Payment | undefined> {
  if (key !== undefined) checkKey(key)
  const p = newPayment(c, tenant, input)
  const card = cardFor(c, input)
  const order = await routeOf(c, tenant, p, card)
  if (order.length === 0) return undefined
  await c.provision(tenant, order[0]!, p.currency)
  const r = await c.open({
    p,
    card,
    gateway: order[0]!,
    ...(key === undefined ? {} : { key: { key, operation: 'create', hash: requestHash('create', input) } }),
  })
  if ('known' in r) return undefined
  if (key === undefined) return authorizeInTurn(c, tenant, r.opened, order)
  return runClaimed(c, tenant, key, undefined, (k) => authorizeInTurn(c, tenant, r.opened, order, k))
}

export function confirmPayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  opts: WriteOptions = {},
): Promise<Payment> {
  return idempotent(c, tenant, opts.idempotencyKey, 'confirm', { id }, (k) => confirmNow(c, tenant, id, k))
}

const sent = (c: PaymentsContext, gateway: string) => ({
  gateway,
  at: c.now().toISOString(),
  outcome: 'sent',
})

function routeOf(c: PaymentsContext, tenant: string, p: Payment, card: { brand?: string; country?: string }) {
  return rulesOf(c, tenant).then((rules) => route(rules, c.deps.gateways, { ...p, card }))
}

/**
 * A payment sent before (its call failed, timed out unsent, or its process died) goes back first to
 * the gateway it was last sent to, while routing still offers it: the same gateway idempotency key
 * (`<id>:authorize`) then makes that gateway charge once even if the earlier request reaches it late,
 * which a second gateway could not know (ADR 0505).
 */
function sentBeforeFirst(order: readonly string[], sentTo: string | null): readonly string[] {
  if (!sentTo || !order.includes(sentTo)) return order
  return [sentTo, ...order.filter((g) => g !== sentTo)]
}

/** processing, with the gateway about to be asked, on the payment `tx` holds. */
async function markProcessing(c: PaymentsContext, tx: Tx, p: Payment, gateway: string): Promise<Payment> {
  const r = await applyFact(c, tx, p, { type: 'processing' }, {}, { gateway })
  await c.store.appendAttempt(tx, p.tenantId, p.id, sent(c, gateway))
  return r.payment
}

/**
 * Sends the payment to the routed gateways in turn until one answers (failover on unavailable).
 * With `onlyFrom`, a payment no longer in that status when locked is not sent: what it became answers.
 */
export async function confirmNow(
  c: PaymentsContext,
  tenant: string,
  id: string,
  k?: KeyAnswer,
  onlyFrom?: PaymentStatus,
): Promise<Payment> {
  const { deps, store } = c
  const current = await c.mustGet(deps.db, tenant, id)
  const card = await store.cardOf(tenant, id)
  const order =
    current.gateway && current.status === 'requires_action'
      ? [current.gateway] // 3-D Secure continues where it started
      : sentBeforeFirst(await routeOf(c, tenant, current, card), current.gateway)
  if (order.length === 0)
    throw noGateway(`no configured gateway takes ${current.currency} with ${current.capture} capture`)
  await c.provision(tenant, order[0]!, current.currency)
  const marked = await deps.db.transaction().execute(async (tx) => {
    const locked = await c.mustGet(tx, tenant, id, true)
    if (onlyFrom !== undefined && locked.status !== onlyFrom) return { movedOn: locked }
    return { processing: await markProcessing(c, tx, locked, order[0]!) }
  })
  if ('movedOn' in marked) {
    if (pending(marked.movedOn)) throw outcomePending()
    return marked.movedOn
  }
  return authorizeInTurn(c, tenant, marked.processing, order, k)
}

type KeyAnswer = Pick<KeyContext, 'key' | 'answered'>

/** Asks the routed gateways in turn; the first answer is booked (with the key's answer, if any). */
async function authorizeInTurn(
  c: PaymentsContext,
  tenant: string,
  p: Payment,
  order: readonly string[],
  k?: KeyAnswer,
): Promise<Payment> {
  const { deps, store, now } = c
  const id = p.id
  let lastError: GatewayError | undefined
  for (const [i, gatewayId] of order.entries()) {
    const gateway = deps.gateways.require(gatewayId)
    if (i > 0) {
      await c.provision(tenant, gatewayId, p.currency)
      const movedOn = await deps.db.transaction().execute(async (tx) => {
        const locked = await c.mustGet(tx, tenant, id, true)
        // The gateway that failed may have charged after all (a 5xx it had processed) and its webhook
        // already booked that: the payment is paid, so no other gateway is asked (ADR 0506).
        if (locked.status !== 'processing') return locked
        await store.updatePayment(tx, { ...locked, gateway: gatewayId, updatedAt: now() })
        await store.appendAttempt(tx, tenant, id, sent(c, gatewayId))
        // The gateway left may have taken the request after all (a 5xx it had processed), and its
        // webhook may never come; one that certainly did not act on it (refused, rate limited) is not asked.
        if (!lastError?.unprocessed)
          await watchForLateRequest(c, tx, {
            tenantId: tenant,
            paymentId: id,
            gateway: order[i - 1]!,
            reason: 'failover',
          })
        return undefined
      })
      if (movedOn) return movedOn // the key's wrapper stores it as the answer
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
      const e = c.asGatewayError(err)
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
      else if (e.failure === 'unknown') fact = { type: 'unknown', ofAuthorization: true }
      else {
        await applyNow(c, tenant, id, { type: 'unavailable' })
        throw e
      }
    }
    return answer(k, applyNow(c, tenant, id, fact, { gateway: gatewayId }, k?.key))
  }
  await applyNow(c, tenant, id, { type: 'unavailable' })
  throw lastError ?? new GatewayError('unavailable', 'No gateway answered.')
}
