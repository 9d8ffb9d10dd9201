/**
 * Payouts: from a gateway balance (the sum of its reconciliation facts less payouts in flight,
 * checked under a per tenant, gateway and currency lock) to the bank, through gateway.payout. A
 * payout whose answer never came (a timeout, a crash) is asked again under the same key by the
 * client's retry or the sweeper, and booked once.
 */
import { sql } from 'kysely'
import { currency as lookupCurrency } from '../../../shared/money.js'
import { GatewayError, type LedgerFact, type PayoutResult } from '../gateway.js'
import type { PaymentsContext, Tx } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { payoutCommand } from '../ledger-mapping.js'
import { ledgerRejected, payoutExceedsBalance, payoutNotFound } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
import type { Actor } from '../payments.audit.js'
import type { Payout } from '../store/payouts.js'
import type { PayoutInput, WriteOptions } from '../ports.js'

export function createPayout(
  c: PaymentsContext,
  tenant: string,
  input: PayoutInput,
  opts: WriteOptions = {},
): Promise<Payout> {
  const { deps, store, now } = c
  lookupCurrency(input.currency)
  validateAmount(input.amount)
  const gw = deps.gateways.require(input.gateway)
  if (!gw.payout || !gw.capabilities.payouts)
    throw new GatewayError('not_supported', `${input.gateway} does not do payouts.`)
  return idempotent(c, tenant, opts.idempotencyKey, 'payout', input, async (k) => {
    if (k.resume) return resumePayout(c, tenant, k.resume, opts.by)
    await c.provision(tenant, input.gateway, input.currency)
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
      // Bound before the gateway is asked: a retry after a timeout or a crash resumes this payout
      // (the same gateway key) instead of paying out a second time.
      await k.bind(tx, payout.id)
    })
    return drivePayout(c, tenant, payout, opts.by)
  })
}

/** A retry whose key an earlier attempt bound to a payout: carry on with it, or answer what it became. */
async function resumePayout(c: PaymentsContext, tenant: string, id: string, by?: Actor): Promise<Payout> {
  const payout = await c.store.getPayout(c.deps.db, tenant, id)
  if (!payout) throw payoutNotFound(id)
  return payout.status === 'pending' ? drivePayout(c, tenant, payout, by) : payout
}

/**
 * Asks the gateway to pay `payout` out — again, for a retry or the sweeper: under the payout's id as
 * its idempotency key the gateway pays once — and books the answer once. An unknown outcome leaves
 * the payout pending (its amount stays reserved) for the retry or the sweeper. The settlement is
 * audited for `by`, the request that drove it, or for the sweeper.
 */
export async function drivePayout(
  c: PaymentsContext,
  tenant: string,
  payout: Payout,
  by?: Actor,
): Promise<Payout> {
  const gw = c.deps.gateways.require(payout.gateway)
  if (!gw.payout) throw new GatewayError('not_supported', `${payout.gateway} does not do payouts.`)
  let result: PayoutResult
  try {
    result = await gw.payout(payout.amount, payout.currency, payout.id)
  } catch (err) {
    const e = c.asGatewayError(err)
    if (e.failure !== 'unknown')
      await c.deps.db.transaction().execute(async (tx) => {
        const current = await c.store.lockPayout(tx, tenant, payout.id)
        if (current?.status !== 'pending') return
        await c.store.updatePayout(tx, tenant, payout.id, 'failed', null, c.now())
        await auditSettled(c, tx, tenant, { ...payout, status: 'failed' }, by, e.message)
      })
    throw e
  }
  return bookPayout(c, tenant, payout, result, by)
}

/** The audit entry of a payout's settlement (paid or failed), in the transaction that writes it. */
function auditSettled(
  c: PaymentsContext,
  tx: Tx,
  tenant: string,
  payout: Payout,
  by: Actor | undefined,
  error?: string,
): Promise<void> | undefined {
  return c.deps.audit?.recordIn(tx, {
    tenant,
    actor: by?.actor ?? 'system:sweeper',
    action: `payments.payout.${payout.status}`,
    resource: `payments:${payout.id}`,
    outcome: payout.status === 'paid' ? 'success' : 'failure',
    origin: by?.origin ?? 'worker',
    details: {
      gateway: payout.gateway,
      gatewayRef: payout.gatewayRef,
      amount: payout.amount.toString(),
      currency: payout.currency,
      ...(error ? { error } : {}),
    },
  })
}

/** The gateway's answer, booked unless another attempt (a retry, the sweeper) booked it first. */
async function bookPayout(
  c: PaymentsContext,
  tenant: string,
  payout: Payout,
  result: PayoutResult,
  by: Actor | undefined,
): Promise<Payout> {
  const { deps, store, now } = c
  const chart = await c.provision(tenant, payout.gateway, payout.currency)
  return deps.db.transaction().execute(async (tx) => {
    const current = await store.lockPayout(tx, tenant, payout.id)
    if (!current) throw payoutNotFound(payout.id)
    if (current.status !== 'pending') return current
    const status = result.status === 'failed' ? 'failed' : 'paid'
    await store.updatePayout(tx, tenant, payout.id, status, result.gatewayRef, now())
    const done: Payout = { ...payout, status, gatewayRef: result.gatewayRef, updatedAt: now() }
    await auditSettled(c, tx, tenant, done, by)
    if (status === 'failed') return done
    const [res] = await deps.ledger.execute(
      tenant,
      [payoutCommand(chart, { ...payout, gatewayRef: result.gatewayRef })],
      { tx },
    )
    if (!res?.ok) throw ledgerRejected(`The ledger refused payout ${payout.id}.`)
    await store.insertFacts(tx, tenant, [
      {
        id: deps.ids('plf'),
        kind: 'payout',
        gateway: payout.gateway as LedgerFact['gateway'],
        gatewayRef: result.gatewayRef,
        ledgerTransactionId: res.transactionId,
        amount: -payout.amount,
        currency: payout.currency,
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
          amount: payout.amount.toString(),
          currency: payout.currency,
          gateway: payout.gateway,
          gatewayRef: result.gatewayRef,
          status,
        },
      },
    ])
    return done
  })
}
