/**
 * The sweeper: payments whose gateway outcome is unknown (timeouts, a process that died mid-call)
 * and refunds and payouts whose call never returned are settled by asking the gateway (again);
 * gateways a payment left with a request in doubt are asked whether it landed after all (ADR 0507);
 * stray charges (a gateway charged a payment booked elsewhere, ADR 0506) are reversed there.
 */
import type { PaymentsContext } from '../core/context.js'
import type { TenantScope } from '../store/statements.js'
import { resolveWithGateway } from './in-flight.js'
import { checkLateRequests } from './late-requests.js'
import { drivePayout } from './payout.js'
import { driveRefund } from './refund.js'
import { reverseStrayCharges } from './stray-charges.js'

async function sweepOne(c: PaymentsContext, tenant: string, id: string): Promise<boolean> {
  const p = await c.mustGet(c.deps.db, tenant, id)
  const after = await resolveWithGateway(c, p)
  return (
    after.status !== p.status || after.inFlight !== p.inFlight || after.amountCaptured !== p.amountCaptured
  )
}

/** Repeats the gateway call of refunds whose answer never came back (process died, connection lost). */
async function sweepRefunds(c: PaymentsContext, olderThan: Date, tenants: TenantScope): Promise<number> {
  let changed = 0
  for (const { tenantId, refund } of await c.store.refundsToSweep(olderThan, 100, tenants)) {
    // Without vendor-side idempotency a repeat could refund twice: those wait for their webhook.
    if (!c.deps.gateways.get(refund.gateway)?.capabilities.idempotentRefunds) continue
    try {
      if ((await driveRefund(c, tenantId, refund)).status !== 'pending') changed++
    } catch (err) {
      c.deps.logger?.warn({ err, tenantId, refundId: refund.id }, 'refund sweep: not settled, will retry')
    }
  }
  return changed
}

/** Repeats the gateway call of payouts whose answer never came back, under the payout's own key. */
async function sweepPayouts(c: PaymentsContext, olderThan: Date, tenants: TenantScope): Promise<number> {
  let changed = 0
  for (const { tenantId, payout } of await c.store.payoutsToSweep(c.deps.db, olderThan, 100, tenants)) {
    try {
      if ((await drivePayout(c, tenantId, payout)).status !== 'pending') changed++
    } catch (err) {
      c.deps.logger?.warn({ err, tenantId, payoutId: payout.id }, 'payout sweep: not settled, will retry')
    }
  }
  return changed
}

/**
 * Asks the gateway about payments in unknown / processing / in-flight states, checks for late
 * requests and reverses stray charges, for every tenant or those named; returns how many changed.
 */
export async function sweep(c: PaymentsContext, tenants?: TenantScope): Promise<number> {
  const olderThan = new Date(c.now().getTime() - c.sweepAfterMs)
  const due = await c.store.toSweep(olderThan, 100, tenants)
  let changed = (await sweepRefunds(c, olderThan, tenants)) + (await sweepPayouts(c, olderThan, tenants))
  for (const { tenantId, paymentId } of due) {
    try {
      if (await sweepOne(c, tenantId, paymentId)) changed++
    } catch (err) {
      c.deps.logger?.warn({ err, tenantId, paymentId }, 'payment sweep: gateway not reachable, will retry')
    }
  }
  // Gateways a payment left with a request in doubt are asked whether it landed (ADR 0507); a charge
  // found on a payment booked elsewhere is a stray charge, reversed just below in the same sweep.
  try {
    changed += await checkLateRequests(c, tenants)
  } catch (err) {
    c.deps.logger?.warn({ err }, 'late-request checks: not made this time, will retry')
  }
  // A stray charge is never wanted, so it is reversed at once, not after the sweeper's wait.
  try {
    changed += await reverseStrayCharges(c, tenants)
  } catch (err) {
    c.deps.logger?.warn({ err }, 'stray charges: not reversed this time, will retry')
  }
  return changed
}
