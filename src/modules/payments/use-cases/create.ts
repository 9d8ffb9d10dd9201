/**
 * Create and confirm: a payment is written, then sent to the gateways routing picks, in turn, until
 * one answers (failover on unavailable). A decline is an answer (status failed), not an error.
 */
import { GatewayError } from '../gateway.js'
import { applyFact, applyNow, paymentPayload } from '../apply-fact.js'
import type { PaymentsContext } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateAmount, validateMetadata } from '../core/validate.js'
import { currency as lookupCurrency } from '../../../shared/money.js'
import { noGateway, paymentError } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import { factOf, type Fact, type Payment } from '../payments.js'
import type { CreatePaymentInput, WriteOptions } from '../ports.js'
import { route } from '../routing.js'
import { resolveWithGateway } from './in-flight.js'
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

export function createPayment(
  c: PaymentsContext,
  tenant: string,
  input: CreatePaymentInput,
  opts: WriteOptions = {},
): Promise<Payment> {
  validateCreate(input)
  return idempotent(c, tenant, opts.idempotencyKey, 'create', input, async ({ resume, bind }) => {
    if (resume) {
      // An earlier attempt made this payment, then could not confirm it (or died while the
      // gateway was being asked): learn what the gateway did, then carry on with it.
      let earlier = await c.mustGet(c.deps.db, tenant, resume)
      if (earlier.status === 'processing' || earlier.status === 'unknown')
        earlier = await resolveWithGateway(c, earlier)
      if (earlier.status === 'processing' || earlier.status === 'unknown')
        throw new GatewayError(
          'unknown',
          'The gateway has not told us the outcome yet; retry with the same key.',
        )
      const again = input.confirm !== false && earlier.status === 'requires_confirmation'
      return again ? confirmNow(c, tenant, earlier.id) : earlier
    }
    const p = newPayment(c, tenant, input)
    await c.deps.db.transaction().execute(async (tx) => {
      await c.store.insertPayment(tx, p, cardFor(c, input))
      await bind(tx, p.id)
      await c.deps.outbox?.enqueue(tx, [
        { tenantId: tenant, topic: PAYMENT_EVENTS.created, key: p.id, payload: paymentPayload(p) },
      ])
    })
    return input.confirm === false ? p : confirmNow(c, tenant, p.id)
  })
}

export function confirmPayment(
  c: PaymentsContext,
  tenant: string,
  id: string,
  opts: WriteOptions = {},
): Promise<Payment> {
  return idempotent(c, tenant, opts.idempotencyKey, 'confirm', { id }, () => confirmNow(c, tenant, id))
}

/** Sends the payment to the routed gateways in turn until one answers (failover on unavailable). */
export async function confirmNow(c: PaymentsContext, tenant: string, id: string): Promise<Payment> {
  const { deps, store, now } = c
  const current = await c.mustGet(deps.db, tenant, id)
  const card = await store.cardOf(tenant, id)
  const order =
    current.gateway && current.status === 'requires_action'
      ? [current.gateway] // 3-D Secure continues where it started
      : route(await rulesOf(c, tenant), deps.gateways, { ...current, card })
  if (order.length === 0)
    throw noGateway(`no configured gateway takes ${current.currency} with ${current.capture} capture`)
  // Processing, and the gateway about to be asked, are recorded before the call, so the sweeper
  // knows whom to ask if this process dies mid-call.
  const sent = (gateway: string) => ({ gateway, at: now().toISOString(), outcome: 'sent' })
  await c.provision(tenant, order[0]!, current.currency)
  const p = await deps.db.transaction().execute(async (tx) => {
    const locked = await c.mustGet(tx, tenant, id, true)
    const r = await applyFact(c, tx, locked, { type: 'processing' }, {}, { gateway: order[0]! })
    await store.appendAttempt(tx, tenant, id, sent(order[0]!))
    return r.payment
  })
  let lastError: GatewayError | undefined
  for (const [i, gatewayId] of order.entries()) {
    const gateway = deps.gateways.require(gatewayId)
    if (i > 0) {
      await c.provision(tenant, gatewayId, p.currency)
      await deps.db.transaction().execute(async (tx) => {
        const locked = await c.mustGet(tx, tenant, id, true)
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
      else if (e.failure === 'unknown') fact = { type: 'unknown' }
      else {
        await applyNow(c, tenant, id, { type: 'unavailable' })
        throw e
      }
    }
    return applyNow(c, tenant, id, fact, { gateway: gatewayId })
  }
  await applyNow(c, tenant, id, { type: 'unavailable' })
  throw lastError ?? new GatewayError('unavailable', 'No gateway answered.')
}
