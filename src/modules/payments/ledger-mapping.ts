/**
 * Ledger mapping: every payment fact becomes one balanced ledger transaction, posted in the database
 * transaction of the status change. The chart of accounts (per tenant, created on first use for each
 * currency and gateway) is documented in docs/payments.md:
 *
 *   pay.gateway.<gw>.<CUR>  debit-normal   what the gateway owes us (captured, not yet paid out)
 *   pay.merchant.<CUR>      credit-normal  the merchant's balance (revenue net of refunds and losses)
 *   pay.fees.<CUR>          debit-normal   gateway fees (expense)
 *   pay.disputes.<CUR>      debit-normal   amounts the gateway withdrew while a dispute is open
 *   pay.bank.<CUR>          debit-normal   the merchant's bank account (payouts land here)
 *   pay.strays.<CUR>        credit-normal  stray charges a gateway took, owed back to the customer (ADR 0506)
 *
 * Money moves from source (debited) to destination (credited).
 */
import type { AccountInput, Ledger, LedgerCommand } from '../ledger/index.js'
import type { LedgerFact } from './gateway.js'
import type { LedgerStep } from './payments.js'

export interface ChartOfAccounts {
  readonly receivable: string
  readonly merchant: string
  readonly fees: string
  readonly disputes: string
  readonly bank: string
  readonly strays: string
}

export function chartOfAccounts(gateway: string, currency: string): ChartOfAccounts {
  return {
    receivable: `pay.gateway.${gateway}.${currency}`,
    merchant: `pay.merchant.${currency}`,
    fees: `pay.fees.${currency}`,
    disputes: `pay.disputes.${currency}`,
    bank: `pay.bank.${currency}`,
    strays: `pay.strays.${currency}`,
  }
}

function accountInputs(chart: ChartOfAccounts, currency: string): AccountInput[] {
  const account = (id: string, normalSide: 'debit' | 'credit', role: string): AccountInput => ({
    id,
    code: id,
    currency,
    normalSide,
    metadata: { module: 'payments', role },
  })
  return [
    account(chart.receivable, 'debit', 'gateway_receivable'),
    account(chart.merchant, 'credit', 'merchant_balance'),
    account(chart.fees, 'debit', 'fees'),
    account(chart.disputes, 'debit', 'disputes'),
    account(chart.bank, 'debit', 'bank'),
    account(chart.strays, 'credit', 'stray_charges'),
  ]
}

/** Creates the accounts on first use (idempotent: the ledger returns an existing identical account). */
export function accountProvisioner(ledger: Ledger) {
  const known = new Set<string>()
  return async (tenant: string, gateway: string, currency: string): Promise<ChartOfAccounts> => {
    const chart = chartOfAccounts(gateway, currency)
    const key = `${tenant}\u0000${gateway}\u0000${currency}`
    if (!known.has(key)) {
      for (const input of accountInputs(chart, currency)) await ledger.createAccount(tenant, input)
      known.add(key)
    }
    return chart
  }
}

/** What one step is about: the payment, and the vendor id it is keyed on. */
export interface StepContext {
  readonly paymentId: string
  readonly gateway: string
  /** The payment's gateway ref; for refunds and disputes the refund's or dispute's ref. */
  readonly gatewayRef: string
  readonly currency: string
  /** The payment's hold: its id, or its position among the commands of the same ledger call. */
  readonly holdTransactionId: string | { readonly item: number } | null
  readonly chart: ChartOfAccounts
  /** Makes ledger idempotency keys unique per fact (refund id, dispute id…). */
  readonly factKey: string
}

export interface MappedStep {
  readonly command: LedgerCommand
  /** The reconciliation fact this step records, if money moved at the gateway. */
  readonly fact?: Omit<LedgerFact, 'ledgerTransactionId' | 'at'>
}

const FACT_KIND: Partial<Record<LedgerStep['kind'], LedgerFact['kind']>> = {
  fee: 'fee',
  refund: 'refund',
  dispute: 'dispute',
  dispute_reversal: 'dispute_reversal',
}

/** The ledger command for one step; throws if a hold is needed and missing (a bug, never input). */
export function mapStep(step: LedgerStep, ctx: StepContext): MappedStep {
  const { chart } = ctx
  const metadata = (kind: string) => ({
    paymentId: ctx.paymentId,
    gateway: ctx.gateway,
    gatewayRef: ctx.gatewayRef,
    kind,
  })
  const base = {
    gateway: ctx.gateway as LedgerFact['gateway'],
    gatewayRef: ctx.gatewayRef,
    paymentId: ctx.paymentId,
    currency: ctx.currency,
  }
  const posted = (source: string, destination: string, amount: bigint, kind: string): LedgerCommand => ({
    op: 'create',
    legs: [{ source, destination, amount, currency: ctx.currency }],
    metadata: metadata(kind),
    idempotencyKey: `pay:${ctx.paymentId}:${kind}:${ctx.factKey}`,
  })
  const hold = (): string | { readonly item: number } => {
    if (!ctx.holdTransactionId) throw new Error(`payment ${ctx.paymentId} has no ledger hold`)
    return ctx.holdTransactionId
  }
  switch (step.kind) {
    case 'hold':
      return {
        command: {
          op: 'create',
          pending: true,
          legs: [
            {
              source: chart.receivable,
              destination: chart.merchant,
              amount: step.amount,
              currency: ctx.currency,
            },
          ],
          metadata: metadata('authorization'),
          idempotencyKey: `pay:${ctx.paymentId}:authorization`,
        },
      }
    case 'post':
      return {
        command: { op: 'post', transactionId: hold(), amounts: [step.amount] },
        fact: { ...base, kind: 'capture', amount: step.amount },
      }
    case 'void':
      return { command: { op: 'void', transactionId: hold() } }
    case 'fee':
      return {
        command: posted(chart.fees, chart.receivable, step.amount, 'fee'),
        fact: { ...base, kind: FACT_KIND.fee!, amount: -step.amount },
      }
    case 'refund':
      return {
        command: posted(chart.merchant, chart.receivable, step.amount, 'refund'),
        fact: { ...base, kind: 'refund', amount: -step.amount },
      }
    case 'dispute':
      return {
        command: posted(chart.disputes, chart.receivable, step.amount, 'dispute'),
        fact: { ...base, kind: 'dispute', amount: -step.amount },
      }
    case 'dispute_reversal':
      return {
        command: posted(chart.receivable, chart.disputes, step.amount, 'dispute_reversal'),
        fact: { ...base, kind: 'dispute_reversal', amount: step.amount },
      }
    case 'dispute_loss':
      // No money moves at the gateway (it already took the amount); the merchant bears the loss.
      return { command: posted(chart.merchant, chart.disputes, step.amount, 'dispute_loss') }
  }
}

/**
 * A stray charge refunded at its gateway (ADR 0506): the charge came into the gateway balance owed to
 * the customer, the refund took it back out, and the fee the gateway kept is an expense. Booked so the
 * gateway balance in the ledger is what the gateway holds, and reconciliation matches the three.
 */
export function strayRefundCommand(
  chart: ChartOfAccounts,
  stray: { id: string; paymentId: string; gateway: string; gatewayRef: string; currency: string },
  refund: { gatewayRef: string; amount: bigint; fee: bigint },
): LedgerCommand {
  const leg = (source: string, destination: string, amount: bigint) => ({
    source,
    destination,
    amount,
    currency: stray.currency,
  })
  return {
    op: 'create',
    legs: [
      leg(chart.receivable, chart.strays, refund.amount),
      leg(chart.strays, chart.receivable, refund.amount),
      ...(refund.fee > 0n ? [leg(chart.fees, chart.receivable, refund.fee)] : []),
    ],
    metadata: {
      strayChargeId: stray.id,
      paymentId: stray.paymentId,
      gateway: stray.gateway,
      gatewayRef: stray.gatewayRef,
      refundRef: refund.gatewayRef,
      kind: 'stray_refund',
    },
    idempotencyKey: `stray:${stray.id}:refund`,
  }
}

/** A payout: gateway balance to the bank. */
export function payoutCommand(
  chart: ChartOfAccounts,
  payout: { id: string; gateway: string; gatewayRef: string; amount: bigint; currency: string },
): LedgerCommand {
  return {
    op: 'create',
    legs: [
      { source: chart.bank, destination: chart.receivable, amount: payout.amount, currency: payout.currency },
    ],
    metadata: { payoutId: payout.id, gateway: payout.gateway, gatewayRef: payout.gatewayRef, kind: 'payout' },
    idempotencyKey: `payout:${payout.id}`,
  }
}
