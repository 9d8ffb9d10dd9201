import { describe, expect, it } from 'vitest'
import type { LedgerFact, SettlementRecord } from '../gateway.js'
import { countLines, matchSettlements, verdict } from './reconcile.js'

const at = new Date('2026-03-01T12:00:00Z')
const range = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z') }
const rec = (r: Partial<SettlementRecord> & Pick<SettlementRecord, 'type' | 'amount'>): SettlementRecord => ({
  id: `txn_${Math.random().toString(36).slice(2)}`,
  fee: 0n,
  currency: 'USD',
  createdAt: at,
  ...r,
})
const fact = (f: Partial<LedgerFact> & Pick<LedgerFact, 'kind' | 'gatewayRef' | 'amount'>): LedgerFact => ({
  gateway: 'stripe',
  ledgerTransactionId: `txn_l_${Math.random().toString(36).slice(2)}`,
  currency: 'USD',
  at,
  ...f,
})

describe('matchSettlements', () => {
  it('a charge, its fee, a refund, a dispute and a payout that agree are all matched', () => {
    const records = [
      rec({ type: 'charge', sourceRef: 'pi_1', amount: 5000n, fee: 175n }),
      rec({ type: 'refund', sourceRef: 're_1', amount: -1000n }),
      rec({ type: 'dispute', sourceRef: 'dp_1', amount: -5000n, fee: 1500n }),
      rec({ type: 'payout', sourceRef: 'po_1', amount: -2000n }),
    ]
    const facts = [
      fact({ kind: 'capture', gatewayRef: 'pi_1', amount: 5000n, paymentId: 'pay_1' }),
      fact({ kind: 'fee', gatewayRef: 'pi_1', amount: -175n, paymentId: 'pay_1' }),
      fact({ kind: 'refund', gatewayRef: 're_1', amount: -1000n }),
      fact({ kind: 'dispute', gatewayRef: 'dp_1', amount: -5000n }),
      fact({ kind: 'payout', gatewayRef: 'po_1', amount: -2000n }),
    ]
    const lines = matchSettlements(records, facts, { range })
    expect(countLines(lines)).toEqual({
      matched: 4,
      missing_in_ledger: 0,
      missing_at_gateway: 0,
      amount_mismatch: 0,
      currency_mismatch: 0,
      fee_mismatch: 0,
    })
    expect(lines.find((l) => l.gatewayRef === 'pi_1')).toMatchObject({ paymentId: 'pay_1', kind: 'capture' })
    expect(verdict(lines)).toBe('reconciled')
  })

  it('reports each kind of difference with both sides and an explanation', () => {
    const records = [
      rec({ id: 'txn_a', type: 'charge', sourceRef: 'pi_orphan', amount: 700n }),
      rec({ id: 'txn_b', type: 'charge', sourceRef: 'pi_amount', amount: 900n }),
      rec({ id: 'txn_c', type: 'refund', sourceRef: 're_cur', amount: -300n, currency: 'EUR' }),
      rec({ id: 'txn_d', type: 'charge', sourceRef: 'pi_fee', amount: 1000n, fee: 59n }),
    ]
    const facts = [
      fact({ kind: 'capture', gatewayRef: 'pi_amount', amount: 1000n }),
      fact({ kind: 'refund', gatewayRef: 're_cur', amount: -300n }),
      fact({ kind: 'capture', gatewayRef: 'pi_fee', amount: 1000n }),
      fact({ kind: 'fee', gatewayRef: 'pi_fee', amount: -60n }),
      fact({ kind: 'capture', gatewayRef: 'pi_ledger_only', amount: 400n, paymentId: 'pay_9' }),
    ]
    const lines = matchSettlements(records, facts, { range })
    const by = (ref: string) => lines.find((l) => l.gatewayRef === ref)
    expect(by('pi_orphan')).toMatchObject({
      status: 'missing_in_ledger',
      gatewayAmount: 700n,
      recordIds: ['txn_a'],
    })
    expect(by('pi_orphan')?.ledgerAmount).toBeUndefined()
    expect(by('pi_amount')).toMatchObject({
      status: 'amount_mismatch',
      gatewayAmount: 900n,
      ledgerAmount: 1000n,
    })
    expect(by('pi_amount')?.explanation).toContain('difference -100 USD')
    expect(by('re_cur')).toMatchObject({
      status: 'currency_mismatch',
      gatewayCurrency: 'EUR',
      ledgerCurrency: 'USD',
    })
    expect(by('pi_ledger_only')).toMatchObject({
      status: 'missing_at_gateway',
      ledgerAmount: 400n,
      paymentId: 'pay_9',
    })
    const fee = lines.find((l) => l.status === 'fee_mismatch')
    expect(fee).toMatchObject({ gatewayRef: 'pi_fee', gatewayAmount: -59n, ledgerAmount: -60n })
    expect(lines.find((l) => l.gatewayRef === 'pi_fee' && l.kind === 'capture')?.status).toBe('matched')
    for (const l of lines) expect(l.explanation.length).toBeGreaterThan(20)
    expect(verdict(lines)).toBe('mismatched')
  })

  it('a fee the gateway kept but the ledger never booked is a fee mismatch', () => {
    const lines = matchSettlements(
      [rec({ type: 'charge', sourceRef: 'pi_1', amount: 1000n, fee: 59n })],
      [fact({ kind: 'capture', gatewayRef: 'pi_1', amount: 1000n })],
    )
    expect(lines.map((l) => l.status).sort()).toEqual(['fee_mismatch', 'matched'])
  })

  it('sums several records or facts under one key (a payout and its failure)', () => {
    const lines = matchSettlements(
      [
        rec({ type: 'payout', sourceRef: 'po_1', amount: -2000n }),
        rec({ type: 'payout', sourceRef: 'po_1', amount: 2000n }),
      ],
      [fact({ kind: 'payout', gatewayRef: 'po_1', amount: -2000n })],
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ status: 'amount_mismatch', gatewayAmount: 0n, ledgerAmount: -2000n })
    expect(lines[0]?.recordIds).toHaveLength(2)
  })

  it('a ledger fact just outside the period matches a record but is never reported missing', () => {
    const early = new Date('2026-02-28T23:59:30Z')
    const lines = matchSettlements(
      [rec({ type: 'charge', sourceRef: 'pi_edge', amount: 100n })],
      [
        fact({ kind: 'capture', gatewayRef: 'pi_edge', amount: 100n, at: early }),
        fact({ kind: 'capture', gatewayRef: 'pi_before', amount: 100n, at: early }),
      ],
      { range },
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ gatewayRef: 'pi_edge', status: 'matched' })
  })

  it('records without a source ref are keyed by their own id and show as missing in the ledger', () => {
    const lines = matchSettlements([rec({ id: 'txn_adj', type: 'adjustment', amount: -25n })], [])
    expect(lines[0]).toMatchObject({ status: 'missing_in_ledger', gatewayRef: 'txn_adj', kind: 'adjustment' })
  })

  it('nothing on either side is empty, never reconciled', () => {
    expect(verdict(matchSettlements([], []))).toBe('empty')
  })
})
