/**
 * Billing's chart of accounts and the ledger transaction for each billing fact (docs/billing.md).
 * Per tenant and currency, created on first use:
 *
 *   bill.receivable.<CUR>      debit   invoiced, not yet paid
 *   bill.deferred.<CUR>        credit  invoiced, not yet earned (recognised day by day over the period)
 *   bill.revenue.<CUR>         credit  earned
 *   bill.tax.<CUR>             credit  tax collected, owed to the authority
 *   bill.credit.<CUR>          credit  customers' credit balance (credit notes not yet applied)
 *   bill.bad_debt.<CUR>        debit   receivables written off when dunning gives up
 *   bill.gateway.<gw>.<CUR>    debit   collected by the gateway, owed to us
 *
 * Every command carries an idempotency key derived from the billing row it books, so a replay after
 * a crash posts nothing twice.
 */
import {
  entriesToLegs,
  type AccountInput,
  type EntryInput,
  type Ledger,
  type LedgerCommand,
} from '../ledger/index.js'

export const billingAccount = {
  receivable: (cur: string) => `bill.receivable.${cur}`,
  deferred: (cur: string) => `bill.deferred.${cur}`,
  revenue: (cur: string) => `bill.revenue.${cur}`,
  tax: (cur: string) => `bill.tax.${cur}`,
  credit: (cur: string) => `bill.credit.${cur}`,
  badDebt: (cur: string) => `bill.bad_debt.${cur}`,
  gateway: (gw: string, cur: string) => `bill.gateway.${gw}.${cur}`,
}

function inputs(currency: string, gateways: readonly string[]): AccountInput[] {
  const a = (id: string, normalSide: 'debit' | 'credit', role: string): AccountInput => ({
    id,
    code: id,
    currency,
    normalSide,
    metadata: { module: 'billing', role },
  })
  return [
    a(billingAccount.receivable(currency), 'debit', 'receivable'),
    a(billingAccount.deferred(currency), 'credit', 'deferred_revenue'),
    a(billingAccount.revenue(currency), 'credit', 'revenue'),
    a(billingAccount.tax(currency), 'credit', 'tax_payable'),
    a(billingAccount.credit(currency), 'credit', 'customer_credit'),
    a(billingAccount.badDebt(currency), 'debit', 'bad_debt'),
    ...gateways.map((gw) => a(billingAccount.gateway(gw, currency), 'debit', 'gateway_receivable')),
  ]
}

/** Creates the accounts once per process and currency (the ledger returns an identical existing account). */
export function billingAccounts(ledger: Ledger, gateways: readonly string[]) {
  const known = new Set<string>()
  return async (tenant: string, currency: string): Promise<void> => {
    const key = `${tenant}\u0000${currency}`
    if (known.has(key)) return
    for (const input of inputs(currency, gateways)) await ledger.createAccount(tenant, input)
    known.add(key)
  }
}

const create = (key: string, entries: EntryInput[], metadata: Record<string, unknown>): LedgerCommand => ({
  op: 'create',
  legs: entriesToLegs(entries.filter((e) => e.amount > 0n)),
  metadata: { module: 'billing', ...metadata },
  idempotencyKey: key,
})

const dr = (account: string, amount: bigint, currency: string): EntryInput => ({
  account,
  direction: 'debit',
  amount,
  currency,
})
const cr = (account: string, amount: bigint, currency: string): EntryInput => ({
  account,
  direction: 'credit',
  amount,
  currency,
})

/** An issued invoice: receivable against deferred revenue and tax; customer credit applied at once. */
export function invoicePosting(i: {
  invoiceId: string
  currency: string
  subtotal: bigint
  tax: bigint
  creditApplied: bigint
}): LedgerCommand | undefined {
  const c = i.currency
  const total = i.subtotal + i.tax
  if (total === 0n) return undefined
  return create(
    `bill:inv:${i.invoiceId}`,
    [
      dr(billingAccount.receivable(c), total, c),
      cr(billingAccount.deferred(c), i.subtotal, c),
      cr(billingAccount.tax(c), i.tax, c),
      dr(billingAccount.credit(c), i.creditApplied, c),
      cr(billingAccount.receivable(c), i.creditApplied, c),
    ],
    { kind: 'invoice', invoiceId: i.invoiceId },
  )
}

/** A successful charge: the gateway owes us what the customer owed. */
export function paymentPosting(p: {
  paymentId: string
  invoiceId: string
  gateway: string
  amount: bigint
  currency: string
}): LedgerCommand {
  const c = p.currency
  return create(
    `bill:pay:${p.paymentId}`,
    [dr(billingAccount.gateway(p.gateway, c), p.amount, c), cr(billingAccount.receivable(c), p.amount, c)],
    { kind: 'payment', invoiceId: p.invoiceId, paymentId: p.paymentId, gateway: p.gateway },
  )
}

/** Revenue earned since the last recognition of a line (straight line over its period). */
export function recognitionPosting(r: {
  invoiceId: string
  lineNo: number
  currency: string
  amount: bigint
  recognizedTotal: bigint
}): LedgerCommand {
  const c = r.currency
  return create(
    `bill:rec:${r.invoiceId}:${r.lineNo}:${r.recognizedTotal}`,
    [dr(billingAccount.deferred(c), r.amount, c), cr(billingAccount.revenue(c), r.amount, c)],
    { kind: 'recognition', invoiceId: r.invoiceId, line: r.lineNo },
  )
}

/**
 * A credit note for the unearned part of a line (and its tax): off the open receivable first, the
 * rest to the customer's credit balance.
 */
export function creditNotePosting(n: {
  creditNoteId: string
  currency: string
  amount: bigint
  tax: bigint
  toReceivable: bigint
}): LedgerCommand {
  const c = n.currency
  const total = n.amount + n.tax
  return create(
    `bill:cn:${n.creditNoteId}`,
    [
      dr(billingAccount.deferred(c), n.amount, c),
      dr(billingAccount.tax(c), n.tax, c),
      cr(billingAccount.receivable(c), n.toReceivable, c),
      cr(billingAccount.credit(c), total - n.toReceivable, c),
    ],
    { kind: 'credit_note', creditNoteId: n.creditNoteId },
  )
}

/** Dunning gave up: what is still owed is written off. */
export function writeOffPosting(w: { invoiceId: string; currency: string; amount: bigint }): LedgerCommand {
  const c = w.currency
  return create(
    `bill:writeoff:${w.invoiceId}`,
    [dr(billingAccount.badDebt(c), w.amount, c), cr(billingAccount.receivable(c), w.amount, c)],
    { kind: 'write_off', invoiceId: w.invoiceId },
  )
}

/** Throws unless every command of a batch applied (billing's postings never legitimately fail). */
export function assertPosted(results: readonly { ok: boolean; code?: string; message?: string }[]): void {
  const bad = results.find((r) => !r.ok)
  if (bad) throw new Error(`billing ledger posting failed: ${bad.code ?? ''} ${bad.message ?? ''}`)
}
