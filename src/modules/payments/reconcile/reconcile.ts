/**
 * Reconciliation, the pure part: gateway settlement records (what the money did) against ledger
 * facts (what the books say), matched on (kind, vendor ref). Every difference is a line that says
 * what differs and why it matters; nothing here reads a clock, a database or a network.
 */
import type { DateRange, LedgerFact, SettlementRecord } from '../gateway.js'

export type ReconciliationLineStatus =
  | 'matched'
  | 'missing_in_ledger'
  | 'missing_at_gateway'
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'fee_mismatch'

export const MISMATCH_STATUSES: readonly ReconciliationLineStatus[] = [
  'missing_in_ledger',
  'missing_at_gateway',
  'amount_mismatch',
  'currency_mismatch',
  'fee_mismatch',
]

export interface ReconciliationLine {
  readonly status: ReconciliationLineStatus
  /** The ledger's word for it: capture, refund, dispute, dispute_reversal, fee, payout (or a gateway-only type). */
  readonly kind: string
  /** The vendor ref both sides are keyed on (payment, refund, dispute or payout ref). */
  readonly gatewayRef: string
  readonly paymentId?: string
  readonly gatewayAmount?: bigint
  readonly ledgerAmount?: bigint
  readonly gatewayCurrency?: string
  readonly ledgerCurrency?: string
  readonly recordIds: readonly string[]
  readonly ledgerTransactionIds: readonly string[]
  readonly explanation: string
}

export type ReconciliationCounts = Record<ReconciliationLineStatus, number>

export interface MatchOptions {
  /**
   * The reconciled period. Facts outside it (fetched with some slack, since the gateway may date a
   * record a little after our booking) are used for matching but never reported missing.
   */
  readonly range?: DateRange
}

/** Gateway record type → the ledger fact kind that books it. */
const KIND_OF: Record<SettlementRecord['type'], string> = {
  charge: 'capture',
  refund: 'refund',
  dispute: 'dispute',
  dispute_reversal: 'dispute_reversal',
  fee: 'fee',
  payout: 'payout',
  adjustment: 'adjustment',
}

const WHAT: Record<string, string> = {
  capture: 'captured payment',
  refund: 'refund',
  dispute: 'dispute withdrawal',
  dispute_reversal: 'dispute reversal',
  fee: 'gateway fee',
  payout: 'payout',
  adjustment: 'gateway adjustment',
}

interface Side<T> {
  items: T[]
  amount: bigint
  currencies: Set<string>
}

const fmt = (amount: bigint, currency: string): string => `${amount} ${currency}`
const only = (s: Set<string>): string => [...s].join('/')

/**
 * Matches records to facts. Amounts on both sides are signed the same way (+ money in, − money out),
 * and several records or facts under one key are summed (partial refunds of one refund id, a
 * payout and its failure). Charge records also carry the gateway's fee, compared with the `fee`
 * facts booked for that payment.
 */
export function matchSettlements(
  records: readonly SettlementRecord[],
  facts: readonly LedgerFact[],
  opts: MatchOptions = {},
): ReconciliationLine[] {
  const gatewaySide = new Map<string, Side<SettlementRecord>>()
  const ledgerSide = new Map<string, Side<LedgerFact>>()
  const feesCharged = new Map<string, { amount: bigint; records: string[]; currency: string }>()
  const add = <T>(
    map: Map<string, Side<T>>,
    key: string,
    item: T,
    amount: bigint,
    currency: string,
  ): void => {
    const side = map.get(key) ?? { items: [], amount: 0n, currencies: new Set<string>() }
    side.items.push(item)
    side.amount += amount
    side.currencies.add(currency)
    map.set(key, side)
  }
  const keyOf = (kind: string, ref: string): string => `${kind}\u0000${ref}`

  for (const r of records) {
    const kind = KIND_OF[r.type]
    add(gatewaySide, keyOf(kind, r.sourceRef ?? r.id), r, r.amount, r.currency)
    if (r.type === 'charge' && r.fee !== 0n && r.sourceRef) {
      const f = feesCharged.get(r.sourceRef) ?? { amount: 0n, records: [], currency: r.currency }
      f.amount += r.fee
      f.records.push(r.id)
      feesCharged.set(r.sourceRef, f)
    }
  }
  for (const f of facts) add(ledgerSide, keyOf(f.kind, f.gatewayRef), f, f.amount, f.currency)

  const inRange = (side: Side<LedgerFact>): boolean =>
    !opts.range || side.items.some((f) => f.at >= opts.range!.from && f.at < opts.range!.to)

  const lines: ReconciliationLine[] = []
  const keys = new Set([...gatewaySide.keys(), ...ledgerSide.keys()])
  for (const key of keys) {
    const [kind = '', gatewayRef = ''] = key.split('\u0000')
    // Fee facts are compared with the fee on their charge record below, unless the gateway sent a fee record.
    if (kind === 'fee' && !gatewaySide.has(key) && feesCharged.has(gatewayRef)) continue
    const g = gatewaySide.get(key)
    const l = ledgerSide.get(key)
    if (!g && l && !inRange(l)) continue
    const what = WHAT[kind] ?? kind
    const paymentId = l?.items.find((f) => f.paymentId)?.paymentId
    const base = {
      kind,
      gatewayRef,
      ...(paymentId ? { paymentId } : {}),
      ...(g ? { gatewayAmount: g.amount, gatewayCurrency: only(g.currencies) } : {}),
      ...(l ? { ledgerAmount: l.amount, ledgerCurrency: only(l.currencies) } : {}),
      recordIds: g?.items.map((r) => r.id) ?? [],
      ledgerTransactionIds: l?.items.map((f) => f.ledgerTransactionId) ?? [],
    }
    if (g && !l) {
      lines.push({
        ...base,
        status: 'missing_in_ledger',
        explanation: `The gateway settled a ${what} of ${fmt(g.amount, only(g.currencies))} for ${gatewayRef} that the ledger has not booked.`,
      })
    } else if (l && !g) {
      lines.push({
        ...base,
        status: 'missing_at_gateway',
        explanation: `The ledger booked a ${what} of ${fmt(l.amount, only(l.currencies))} for ${gatewayRef} that the gateway did not settle in this period.`,
      })
    } else if (g && l) {
      if (g.currencies.size !== 1 || l.currencies.size !== 1 || only(g.currencies) !== only(l.currencies)) {
        lines.push({
          ...base,
          status: 'currency_mismatch',
          explanation: `The gateway settled the ${what} for ${gatewayRef} in ${only(g.currencies)}, the ledger booked it in ${only(l.currencies)}.`,
        })
      } else if (g.amount !== l.amount) {
        const cur = only(g.currencies)
        lines.push({
          ...base,
          status: 'amount_mismatch',
          explanation: `The gateway settled ${fmt(g.amount, cur)} for the ${what} ${gatewayRef}, the ledger booked ${fmt(l.amount, cur)} (difference ${fmt(g.amount - l.amount, cur)}).`,
        })
      } else {
        lines.push({
          ...base,
          status: 'matched',
          explanation: `The ${what} ${gatewayRef} agrees on both sides.`,
        })
      }
    }
  }

  // The fee the gateway kept on each charge against the fee facts booked for that payment.
  for (const [ref, charged] of feesCharged) {
    const booked = ledgerSide.get(keyOf('fee', ref))
    const gatewayAmount = -charged.amount
    const ledgerAmount = booked?.amount ?? 0n
    if (gatewayAmount === ledgerAmount && (!booked || booked.currencies.has(charged.currency))) continue
    lines.push({
      status: 'fee_mismatch',
      kind: 'fee',
      gatewayRef: ref,
      ...(booked?.items[0]?.paymentId ? { paymentId: booked.items[0].paymentId } : {}),
      gatewayAmount,
      ledgerAmount,
      gatewayCurrency: charged.currency,
      ...(booked ? { ledgerCurrency: only(booked.currencies) } : {}),
      recordIds: charged.records,
      ledgerTransactionIds: booked?.items.map((f) => f.ledgerTransactionId) ?? [],
      explanation: booked
        ? `The gateway kept a fee of ${fmt(charged.amount, charged.currency)} on ${ref}, the ledger booked ${fmt(-ledgerAmount, only(booked.currencies))}.`
        : `The gateway kept a fee of ${fmt(charged.amount, charged.currency)} on ${ref} that the ledger has not booked.`,
    })
  }
  return lines
}

/** A line as JSON: amounts as signed integer strings, absent values as null (API and event payload). */
export function lineJson(l: ReconciliationLine) {
  return {
    status: l.status,
    kind: l.kind,
    gatewayRef: l.gatewayRef,
    paymentId: l.paymentId ?? null,
    gatewayAmount: l.gatewayAmount?.toString() ?? null,
    ledgerAmount: l.ledgerAmount?.toString() ?? null,
    gatewayCurrency: l.gatewayCurrency ?? null,
    ledgerCurrency: l.ledgerCurrency ?? null,
    recordIds: [...l.recordIds],
    ledgerTransactionIds: [...l.ledgerTransactionIds],
    explanation: l.explanation,
  }
}

export function countLines(lines: readonly ReconciliationLine[]): ReconciliationCounts {
  const counts: ReconciliationCounts = {
    matched: 0,
    missing_in_ledger: 0,
    missing_at_gateway: 0,
    amount_mismatch: 0,
    currency_mismatch: 0,
    fee_mismatch: 0,
  }
  for (const l of lines) counts[l.status]++
  return counts
}

/**
 * The run's verdict. `reconciled` only when something was compared and all of it agreed; an empty
 * period is `empty` and a failed fetch `failed`, so neither can be mistaken for a clean bill.
 */
export type ReconciliationStatus = 'reconciled' | 'mismatched' | 'empty' | 'failed'

export function verdict(lines: readonly ReconciliationLine[]): ReconciliationStatus {
  if (lines.length === 0) return 'empty'
  return lines.every((l) => l.status === 'matched') ? 'reconciled' : 'mismatched'
}
