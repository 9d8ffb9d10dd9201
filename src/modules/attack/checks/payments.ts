import { describe, errorCode, idemKey, type HttpClient } from '../http.js'
import {
  createAuthorisedPayment,
  getPayment,
  idOf,
  moneyOf,
  paymentBody,
  type PaymentView,
} from '../payments.js'
import { Findings, type Verdict } from '../report.js'

/** Amounts that must never be accepted: JSON amounts are positive integer strings below 2^63. */
export const BAD_AMOUNTS: readonly { label: string; value: unknown }[] = [
  { label: 'negative', value: '-100' },
  { label: 'zero', value: '0' },
  { label: 'fractional', value: '10.50' },
  { label: 'non-numeric', value: 'abc' },
  { label: 'exponent', value: '1e3' },
  { label: 'hex', value: '0x10' },
  { label: 'padded', value: ' 100' },
  { label: 'empty', value: '' },
  { label: 'JSON number (not a string)', value: 100 },
  { label: '2^63 (overflows int64)', value: '9223372036854775808' },
  { label: '10^30', value: '1000000000000000000000000000000' },
]

const rejected = (status: number): boolean => status === 400 || status === 409 || status === 422

/** Tampering with amount/currency after creation, bad amounts, over-capture, over-refund; amounts unchanged. */
export async function checkPaymentTampering(http: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const p = await createAuthorisedPayment(http, '1000')
  f.note(`payment ${p.id} authorised: ${moneyOf(p)}`)
  const patch = (body: unknown) =>
    http.request('PATCH', `/v1/payments/${p.id}`, { body, idempotencyKey: idemKey() })
  for (const body of [
    { amount: '1' },
    { currency: 'EUR' },
    { metadata: { note: 'x' }, amount: '999999' },
    { amountCaptured: '1000' },
  ]) {
    const res = await patch(body)
    f.expect(res.status === 400, `PATCH ${JSON.stringify(body)}: ${describe(res)} (want 400)`)
  }
  for (const bad of BAD_AMOUNTS) {
    const res = await http.request('POST', '/v1/payments', {
      body: paymentBody('1', { amount: bad.value }),
      idempotencyKey: idemKey(),
    })
    f.expect(
      res.status === 400,
      `create with ${bad.label} amount ${JSON.stringify(bad.value)}: ${describe(res)} (want 400)`,
    )
  }
  for (const bad of BAD_AMOUNTS.filter((b) => b.label !== 'zero')) {
    const res = await http.request('POST', `/v1/payments/${p.id}/capture`, {
      body: { amount: bad.value },
      idempotencyKey: idemKey(),
    })
    f.expect(res.status === 400, `capture ${bad.label} amount: ${describe(res)} (want 400)`)
  }
  const over = await http.request('POST', `/v1/payments/${p.id}/capture`, {
    body: { amount: '1001' },
    idempotencyKey: idemKey(),
  })
  f.expect(
    rejected(over.status),
    `capture 1001 of 1000 authorised: ${describe(over)} (want 409/422 PAYMENT_CAPTURE_EXCEEDS_AUTHORIZED)`,
  )
  const full = await http.request('POST', `/v1/payments/${p.id}/capture`, {
    body: { amount: '1000' },
    idempotencyKey: idemKey(),
  })
  f.expect(full.status === 200, `capture 1000: ${describe(full)} (want 200)`)
  const refund = (amount: unknown) =>
    http.request('POST', `/v1/payments/${p.id}/refunds`, { body: { amount }, idempotencyKey: idemKey() })
  const tooMuch = await refund('1001')
  f.expect(
    rejected(tooMuch.status),
    `refund 1001 of 1000 captured: ${describe(tooMuch)} (want 409/422 PAYMENT_REFUND_EXCEEDS_CAPTURED)`,
  )
  for (const bad of BAD_AMOUNTS) {
    const res = await refund(bad.value)
    f.expect(res.status === 400, `refund ${bad.label} amount: ${describe(res)} (want 400)`)
  }
  const part = await refund('600')
  f.expect(part.status === 201, `refund 600: ${describe(part)} (want 201)`)
  const rest = await refund('401')
  f.expect(rejected(rest.status), `refund 401 more (total 1001 > 1000): ${describe(rest)} (want 409/422)`)
  const after = await getPayment(http, p.id)
  const b = after.body as PaymentView
  f.expect(
    b.amount === '1000' && b.currency === 'USD' && b.amountCaptured === '1000' && b.amountRefunded === '600',
    `afterwards ${moneyOf(after)} (want amount=1000 USD captured=1000 refunded=600)`,
  )
  return f.verdict()
}

/** The same Idempotency-Key with another body is a conflict, never a second payment or refund. */
export async function checkIdempotencyReplay(http: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const key = idemKey()
  const first = await http.request('POST', '/v1/payments', { body: paymentBody('1000'), idempotencyKey: key })
  f.expect(first.status === 201, `create with key ${key}: ${describe(first)} (want 201)`)
  const same = await http.request('POST', '/v1/payments', { body: paymentBody('1000'), idempotencyKey: key })
  f.expect(
    same.status < 300 && idOf(same) === idOf(first),
    `same key, same body: ${describe(same)}, id ${idOf(same)} (want the original ${idOf(first)})`,
  )
  for (const body of [
    paymentBody('999999'),
    paymentBody('1000', { currency: 'EUR' }),
    paymentBody('1000', { paymentMethod: 'pm_card_mastercard' }),
  ]) {
    const res = await http.request('POST', '/v1/payments', { body, idempotencyKey: key })
    f.expect(
      res.status === 409 && errorCode(res) === 'IDEMPOTENCY_CONFLICT',
      `same key, ${JSON.stringify(body).slice(0, 60)}…: ${describe(res)} (want 409 IDEMPOTENCY_CONFLICT)`,
    )
  }
  const none = await http.request('POST', '/v1/payments', { body: paymentBody('1000') })
  f.expect(
    none.status === 400 && errorCode(none) === 'IDEMPOTENCY_KEY_REQUIRED',
    `no Idempotency-Key: ${describe(none)} (want 400 IDEMPOTENCY_KEY_REQUIRED)`,
  )
  const id = idOf(first)
  if (id) {
    const p = await createAuthorisedPayment(http, '1000')
    const cap = await http.request('POST', `/v1/payments/${p.id}/capture`, {
      body: {},
      idempotencyKey: idemKey(),
    })
    f.expect(cap.status === 200, `capture ${p.id}: ${describe(cap)}`)
    const rkey = idemKey()
    const r1 = await http.request('POST', `/v1/payments/${p.id}/refunds`, {
      body: { amount: '100' },
      idempotencyKey: rkey,
    })
    const r2 = await http.request('POST', `/v1/payments/${p.id}/refunds`, {
      body: { amount: '100' },
      idempotencyKey: rkey,
    })
    const r3 = await http.request('POST', `/v1/payments/${p.id}/refunds`, {
      body: { amount: '900' },
      idempotencyKey: rkey,
    })
    f.expect(r1.status === 201, `refund 100 with key ${rkey}: ${describe(r1)} (want 201)`)
    f.expect(
      r2.status < 300 && idOf(r2) === idOf(r1),
      `same refund replayed: ${describe(r2)} (want the original refund)`,
    )
    f.expect(r3.status === 409, `same key, refund 900: ${describe(r3)} (want 409 IDEMPOTENCY_CONFLICT)`)
    const after = await getPayment(http, p.id)
    f.expect(
      (after.body as PaymentView).amountRefunded === '100',
      `afterwards ${moneyOf(after)} (want refunded=100: one refund)`,
    )
  }
  return f.verdict()
}
