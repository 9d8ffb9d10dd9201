/**
 * Payouts: from a gateway balance (the sum of its reconciliation facts less payouts in flight,
 * checked under a per tenant, gateway and currency lock) to the bank, through gateway.payout.
 */
import { sql } from 'kysely'
import { currency as lookupCurrency } from '../../../shared/money.js'
import { GatewayError, type LedgerFact } from '../gateway.js'
import type { PaymentsContext } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateAmount } from '../core/validate.js'
import { payoutCommand } from '../ledger-mapping.js'
import { ledgerRejected, payoutExceedsBalance } from '../payments.errors.js'
import { PAYMENT_EVENTS } from '../payments.events.js'
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
  return idempotent(c, tenant, opts.idempotencyKey, 'payout', input, async () => {
    const chart = await c.provision(tenant, input.gateway, input.currency)
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
      const e = c.asGatewayError(err)
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
      if (!res?.ok) throw ledgerRejected(`The ledger refused payout ${payout.id}.`)
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
}
