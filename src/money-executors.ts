import type { Banking } from './modules/banking/index.js'
import type { HoldExecutor, HoldKind } from './modules/parties/index.js'
import type { PaymentCommands } from './modules/payments/index.js'
import { parseAmount } from './shared/money.js'

/**
 * How the parties screening gate runs each kind of money movement (now, or when an operator releases
 * a hold). Requests are the JSON the API received (amounts as integer strings); the idempotency key is
 * the client's (or the hold id), so a release and a client retry converge on one operation.
 */
export function moneyExecutors(payments: PaymentCommands, banking: Banking): Record<HoldKind, HoldExecutor> {
  const key = (k: string) => (k ? { idempotencyKey: k } : {})
  // The API validated these requests before they were held: fields are strings or absent.
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
  return {
    async payout(tenant, r, k) {
      const p = await payments.payout(
        tenant,
        {
          gateway: str(r.gateway) ?? 'sandbox',
          amount: parseAmount(str(r.amount) ?? ''),
          currency: str(r.currency) ?? '',
        },
        key(k),
      )
      return { objectId: p.id, value: p }
    },
    async bank_transfer(tenant, r, k) {
      const t = await banking.createTransfer(
        tenant,
        {
          accountId: str(r.accountId) ?? '',
          direction: r.direction === 'debit' ? 'debit' : 'credit',
          amount: parseAmount(str(r.amount) ?? ''),
          currency: str(r.currency) ?? '',
          ...(str(r.ledgerAccountId) ? { ledgerAccountId: str(r.ledgerAccountId)! } : {}),
          ...(str(r.description) ? { description: str(r.description)! } : {}),
        },
        key(k),
      )
      return { objectId: t.transfer.id, value: t }
    },
  }
}
