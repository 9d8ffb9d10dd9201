/**
 * Late requests (ADR 0507): an authorisation sent to a gateway whose fate we never learnt — the
 * gateway answered "no record", or the payment failed over to another gateway after an error — may
 * still land there later. Its webhook tells of it (ADR 0506), but a webhook can be lost, disabled or
 * never sent. So the sweeper asks that gateway again on a schedule and, if it now holds a charge,
 * applies it exactly as its webhook would have been applied: booked on a payment still waiting for
 * it, recorded as a stray charge (and reversed) on one booked elsewhere or ended, a no-op on one
 * that already booked it.
 */
import type { GatewayEvent, GatewayPaymentState } from '../gateway.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import type { LateCheck, LateCheckReason } from '../store/late-checks.js'
import type { TenantScope } from '../store/statements.js'
import { applyGatewayEvent } from './apply-gateway-event.js'

const MINUTE = 60_000

/**
 * When a gateway is asked again, from the moment the payment left it: soon (most late requests
 * land within seconds to minutes), then while the gateway's own idempotency window lasts (Stripe
 * keeps keys 24 h). After the last "no record" the check closes.
 */
export const LATE_CHECK_SCHEDULE_MS: readonly number[] = [
  5 * MINUTE,
  30 * MINUTE,
  2 * 60 * MINUTE,
  24 * 60 * MINUTE,
]

/** How long a sweeper holds a check it is making; a check whose sweeper died is made again after. */
const LEASE_MS = 2 * MINUTE

/** Checks past the schedule while the gateway still reports the charge processing. */
const EXTRA_CHECKS_WHILE_PROCESSING = 6

/** Opens a check of `gateway` for payment `paymentId`, in the caller's transaction when it has one. */
export async function watchForLateRequest(
  c: PaymentsContext,
  tx: Tx | undefined,
  check: { tenantId: string; paymentId: string; gateway: string; reason: LateCheckReason },
): Promise<void> {
  const at = c.now()
  const dueAt = new Date(at.getTime() + LATE_CHECK_SCHEDULE_MS[0]!)
  await c.store.openLateCheck(tx ?? c.deps.db, check, at, dueAt)
}

/** Makes the checks that are due; returns how many found a charge. */
export async function checkLateRequests(c: PaymentsContext, tenants?: TenantScope): Promise<number> {
  const now = c.now()
  let found = 0
  for (const check of await c.store.leaseLateChecks(now, new Date(now.getTime() + LEASE_MS), 100, tenants)) {
    try {
      if (await checkOnce(c, check)) found++
    } catch (err) {
      // Unreachable gateway, a failed write: the lease ends and the next sweep asks again.
      c.deps.logger?.warn({ err, ...check }, 'late-request check: not made, will retry')
    }
  }
  return found
}

async function checkOnce(c: PaymentsContext, check: LateCheck): Promise<boolean> {
  const gateway = c.deps.gateways.get(check.gateway)
  const state = gateway ? await gateway.retrieve({ paymentId: check.paymentId }) : undefined
  const charged = state?.status === 'authorized' || state?.status === 'captured'
  const stillOpen = state?.status === 'processing' || state?.status === 'requires_action'
  return c.transaction(async (tx) => {
    if (!charged) {
      const next = gateway ? nextDue(check, c.now(), stillOpen) : undefined
      await c.store.recordLateCheck(tx, check, next ?? { outcome: 'no_charge' }, c.now())
      return false
    }
    const event = chargeEvent(check, state, c.now())
    const applied = (await applyGatewayEvent(c, check.tenantId, check.gateway, event, tx)) === 'applied'
    if (applied)
      c.deps.logger?.warn(
        { ...check, gatewayRef: state.gatewayRef, status: state.status },
        'late-request check: the gateway holds a charge no webhook brought; applied as its webhook',
      )
    const outcome = applied ? 'charge_applied' : 'charge_known'
    await c.store.recordLateCheck(tx, check, { outcome }, c.now())
    return applied
  })
}

/**
 * The next check after this one, or undefined when the schedule is over. A charge the gateway still
 * reports processing is asked about every two hours for a few more checks before the check closes.
 */
function nextDue(check: LateCheck, now: Date, stillOpen: boolean): { dueAt: Date } | undefined {
  const after = LATE_CHECK_SCHEDULE_MS[check.checks + 1]
  if (after !== undefined) return { dueAt: new Date(check.createdAt.getTime() + after) }
  if (stillOpen && check.checks < LATE_CHECK_SCHEDULE_MS.length + EXTRA_CHECKS_WHILE_PROCESSING)
    return { dueAt: new Date(now.getTime() + 2 * 60 * MINUTE) }
  return undefined
}

/** What the gateway's webhook would have said about the charge it holds. */
function chargeEvent(check: LateCheck, state: GatewayPaymentState, at: Date): GatewayEvent {
  const captured = state.status === 'captured'
  return {
    id: `late:${check.gateway}:${state.gatewayRef}:${state.status}`,
    type: captured ? 'payment.captured' : 'payment.authorized',
    vendorType: `moneta.late_check.${state.status}`,
    paymentRef: state.gatewayRef,
    paymentId: check.paymentId,
    tenantId: check.tenantId,
    amount: captured ? state.amountCaptured : state.amountAuthorized,
    currency: state.currency,
    ...(captured && state.fee !== undefined ? { fee: state.fee } : {}),
    occurredAt: at,
  }
}
