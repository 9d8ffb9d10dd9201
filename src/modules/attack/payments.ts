import { describe, field, idemKey, type Exchange, type HttpClient } from './http.js'
import { SetupError } from './operators.js'

export interface PaymentView {
  readonly id: string
  readonly status: string
  readonly amount: string
  readonly currency: string
  readonly amountCaptured: string
  readonly amountRefunded: string
  readonly amountCapturable: string
  readonly updatedAt?: string
}

export const paymentBody = (
  amount = '1000',
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  amount,
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  capture: 'manual',
  ...extra,
})

/** POST /v1/payments (manual capture) and wait until it is authorised. */
export async function createAuthorisedPayment(http: HttpClient, amount = '1000'): Promise<PaymentView> {
  const res = await http.request('POST', '/v1/payments', {
    body: paymentBody(amount),
    idempotencyKey: idemKey(),
  })
  if (res.status !== 201)
    throw new SetupError(
      `create payment: ${describe(res)} (want 201) ${JSON.stringify(res.body).slice(0, 200)}`,
    )
  let p = res.body as PaymentView
  for (let i = 0; i < 50 && p.status !== 'requires_capture'; i++) {
    await new Promise((r) => setTimeout(r, 100))
    p = (await getPayment(http, p.id)).body as PaymentView
  }
  if (p.status !== 'requires_capture')
    throw new SetupError(`payment ${p.id} never reached requires_capture (status ${p.status})`)
  return p
}

export function getPayment(http: HttpClient, id: string): Promise<Exchange> {
  return http.request('GET', `/v1/payments/${encodeURIComponent(id)}`)
}

/** The money fields of a payment, for before/after comparisons. */
export function moneyOf(x: Exchange | PaymentView): string {
  const p = ('status' in x && 'body' in x ? x.body : x) as Partial<PaymentView>
  return `amount=${p.amount} ${p.currency} capturable=${p.amountCapturable} captured=${p.amountCaptured} refunded=${p.amountRefunded}`
}

export const idOf = (x: Exchange): string | undefined => field<string>(x, 'id')
