/**
 * A stray charge the sweeper could not reverse (the gateway refused, or never found it) is reversed
 * by an operator at the gateway, by hand; this marks it so, with who did it and why, so the tenant's
 * list of failed ones is the work still open. A refund made by hand is booked as the sweeper books
 * its own (the charge in and out of the gateway balance, and the fee the gateway kept when the
 * operator gives it), so the gateway still reconciles; a fee not given stays a reconciliation
 * difference.
 */
import type { PaymentsContext } from '../core/context.js'
import type { Actor } from '../payments.audit.js'
import { paymentError } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import type { StrayCharge } from '../store/stray-charges.js'
import { bookStrayRefund, writeStrayChange } from './stray-charges.js'

export interface ResolveStrayChargeInput {
  /** What the operator did at the gateway: refunded the capture, or voided the authorisation. */
  readonly reversal: 'refunded' | 'canceled'
  /** The gateway's id of that refund or void (a refund needs it: reconciliation matches on it). */
  readonly reversalRef?: string
  /** With a refund: the fee the gateway kept on the charge (minor units, 0 to the charge's amount). */
  readonly fee?: bigint
  /** Why and how, for the audit trail: 1 to 500 characters. */
  readonly note: string
}

export async function resolveStrayCharge(
  c: PaymentsContext,
  tenant: string,
  id: string,
  input: ResolveStrayChargeInput,
  by: Actor,
): Promise<StrayCharge> {
  if (input.note.trim().length === 0 || input.note.length > 500) throw paymentError('INVALID_NOTE')
  if (input.reversal === 'refunded' && !input.reversalRef)
    throw paymentError(
      'INVALID_REVERSAL_REF',
      'A refund made by hand needs its reversalRef (the gateway refund id).',
    )
  if (input.reversalRef !== undefined && (input.reversalRef.length < 1 || input.reversalRef.length > 255))
    throw paymentError('INVALID_REVERSAL_REF')
  if (input.fee !== undefined && (input.reversal !== 'refunded' || input.fee < 0n))
    throw paymentError('INVALID_FEE')
  const found = await c.store.getStrayCharge(c.deps.db, tenant, id)
  if (!found) throw paymentError('STRAY_CHARGE_NOT_FOUND', `Stray charge ${id} not found.`)
  if (input.fee !== undefined && input.fee > found.amount)
    throw paymentError('INVALID_FEE', `fee is at most the charge's ${found.amount}.`)
  const chart =
    input.reversal === 'refunded' ? await c.provision(tenant, found.gateway, found.currency) : undefined
  return c.transaction(async (tx) => {
    const resolved = await c.store.resolveStrayCharge(tx, tenant, id, {
      reversal: input.reversal,
      reversalRef: input.reversalRef ?? null,
      fee: input.fee ?? null,
      resolvedBy: by.actor,
      note: input.note,
      at: c.now(),
    })
    if (!resolved) throw paymentError('STRAY_CHARGE_NOT_FAILED', undefined, { status: found.status })
    if (chart && resolved.reversalRef)
      await bookStrayRefund(c, tx, tenant, chart, resolved, {
        amount: resolved.amount,
        fee: resolved.reversalFee ?? 0n,
        gatewayRef: resolved.reversalRef,
      })
    await writeStrayChange(c, tx, tenant, resolved, null, PAYMENT_EVENTS.strayChargeResolved, by)
    return resolved
  })
}
