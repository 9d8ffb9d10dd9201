import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../../shared/errors.js'
import { amountCapturable, amountRefundable, factOf, plan, type Fact, type PaymentState } from './payments.js'

const fresh = (over: Partial<PaymentState> = {}): PaymentState => ({
  status: 'processing',
  amount: 1000n,
  currency: 'USD',
  capture: 'manual',
  amountAuthorized: 0n,
  amountCaptured: 0n,
  amountRefunded: 0n,
  amountRefundPending: 0n,
  amountDisputed: 0n,
  amountFee: 0n,
  gatewayRef: null,
  declineCode: null,
  nextAction: null,
  ...over,
})

const amount = fc.bigInt({ min: -5n, max: 1200n })
const factArb: fc.Arbitrary<Fact> = fc.oneof(
  fc.constant<Fact>({ type: 'processing' }),
  fc.constant<Fact>({ type: 'unavailable' }),
  fc.constant<Fact>({ type: 'no_record' }),
  fc.constant<Fact>({ type: 'requires_action', gatewayRef: 'ref' }),
  fc.constant<Fact>({ type: 'unknown' }),
  fc.constant<Fact>({ type: 'unknown', ofAuthorization: true }),
  amount.map<Fact>((a) => ({ type: 'authorized', amount: a, gatewayRef: 'ref' })),
  fc
    .tuple(
      amount,
      fc.option(amount, { nil: undefined }),
      fc.option(fc.bigInt({ min: 0n, max: 50n }), { nil: undefined }),
    )
    .map<Fact>(([a, auth, fee]) => ({
      type: 'captured',
      amount: a,
      ...(auth !== undefined ? { authorized: auth } : {}),
      ...(fee !== undefined ? { fee } : {}),
    })),
  fc.constant<Fact>({ type: 'failed', declineCode: 'generic_decline' }),
  fc.constant<Fact>({ type: 'canceled' }),
  amount.map<Fact>((a) => ({ type: 'refund_reserved', amount: a })),
  fc.tuple(amount, fc.boolean()).map<Fact>(([a, reserved]) => ({ type: 'refunded', amount: a, reserved })),
  amount.map<Fact>((a) => ({ type: 'dispute_opened', amount: a })),
)

/** Replays the ledger steps the way the ledger would, so the books can be compared with the state. */
function runSequence(facts: readonly Fact[]) {
  let p = fresh()
  let hold: 'none' | 'pending' | 'posted' | 'voided' = 'none'
  let posted = 0n
  let refunded = 0n
  let disputed = 0n
  const history: PaymentState[] = [p]
  for (const fact of facts) {
    // Reservations are released only for what was reserved (the service knows its own refund rows).
    if (fact.type === 'refunded' && fact.reserved && fact.amount > p.amountRefundPending) continue
    let result
    try {
      result = plan(p, fact)
    } catch (err) {
      if (!isAppError(err)) throw err
      continue // refused: nothing changes
    }
    if (result.outcome !== 'applied') {
      expect(result.next).toBe(p)
      expect(result.ledger).toEqual([])
      continue
    }
    for (const step of result.ledger) {
      switch (step.kind) {
        case 'hold':
          expect(hold).toBe('none')
          hold = 'pending'
          break
        case 'post':
          expect(hold).toBe('pending')
          hold = 'posted'
          posted = step.amount
          break
        case 'void':
          expect(hold).toBe('pending')
          hold = 'voided'
          break
        case 'refund':
          refunded += step.amount
          break
        case 'dispute':
          disputed += step.amount
          break
        case 'dispute_reversal':
          disputed -= step.amount
          break
        case 'fee':
        case 'dispute_loss':
          break
      }
    }
    p = result.next
    history.push(p)
    expect(posted).toBe(p.amountCaptured)
    expect(refunded).toBe(p.amountRefunded)
    expect(disputed).toBe(p.amountDisputed)
  }
  return { p, history, hold }
}

describe('payment state machine', () => {
  it('amounts stay within bounds and the books follow the state, whatever the gateway says in any order', () => {
    fc.assert(
      fc.property(fc.array(factArb, { maxLength: 30 }), (facts) => {
        const { history, hold } = runSequence(facts)
        for (const s of history) {
          expect(s.amountAuthorized >= 0n && s.amountAuthorized <= s.amount).toBe(true)
          expect(s.amountCaptured <= s.amountAuthorized).toBe(true)
          expect(s.amountRefunded + s.amountRefundPending <= s.amountCaptured).toBe(true)
          expect(s.amountRefundPending >= 0n && s.amountDisputed >= 0n).toBe(true)
          expect(s.amountDisputed <= s.amountCaptured).toBe(true)
          expect(s.status === 'succeeded').toBe(s.amountCaptured > 0n)
          expect(amountCapturable(s) >= 0n && amountRefundable(s) >= 0n).toBe(true)
        }
        const last = history[history.length - 1]!
        if (last.status === 'canceled' || last.status === 'failed')
          expect(hold === 'none' || hold === 'voided').toBe(true)
        if (last.status === 'requires_capture') expect(hold).toBe('pending')
      }),
      { numRuns: 400 },
    )
  })

  it('a chargeback for money whose refund is in flight is recorded; nothing more is refundable', () => {
    // Found by the property above (seed -650726999): captured 4, refund of 1 reserved, dispute of 4.
    const { p } = runSequence([
      { type: 'captured', amount: 4n },
      { type: 'refund_reserved', amount: 1n },
      { type: 'dispute_opened', amount: 4n },
    ])
    expect(p.amountDisputed).toBe(4n)
    expect(p.amountRefundPending).toBe(1n)
    expect(amountRefundable(p)).toBe(0n)
    expect(() => plan(p, { type: 'refund_reserved', amount: 1n })).toThrow(/exceeds the refundable 0/)
  })

  it('failed and canceled are final; succeeded only changes amounts', () => {
    fc.assert(
      fc.property(fc.array(factArb, { maxLength: 25 }), (facts) => {
        const { history } = runSequence(facts)
        const firstFinal = history.findIndex((s) => s.status === 'failed' || s.status === 'canceled')
        if (firstFinal >= 0) for (const s of history.slice(firstFinal)) expect(s).toEqual(history[firstFinal])
        const firstSucceeded = history.findIndex((s) => s.status === 'succeeded')
        if (firstSucceeded >= 0) {
          for (const s of history.slice(firstSucceeded)) {
            expect(s.status).toBe('succeeded')
            expect(s.amountCaptured).toBe(history[firstSucceeded]!.amountCaptured)
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('the same gateway fact twice is applied once', () => {
    const facts: Fact[] = [
      { type: 'authorized', amount: 1000n },
      { type: 'captured', amount: 700n, fee: 30n },
      { type: 'canceled' },
      { type: 'failed' },
    ]
    for (const fact of facts) {
      let p = fresh()
      const first = plan(p, fact)
      expect(first.outcome).toBe('applied')
      p = first.next
      expect(plan(p, fact).outcome).not.toBe('applied')
    }
  })

  it('captured before authorized implies the authorisation; authorized afterwards is a duplicate', () => {
    const captured = plan(fresh({ status: 'unknown' }), { type: 'captured', amount: 600n, authorized: 800n })
    expect(captured.ledger.map((s) => s.kind)).toEqual(['hold', 'post'])
    expect(captured.events).toEqual(['authorized', 'captured'])
    expect(captured.next).toMatchObject({ status: 'succeeded', amountAuthorized: 800n, amountCaptured: 600n })
    expect(plan(captured.next, { type: 'authorized', amount: 800n }).outcome).toBe('duplicate')
  })

  it('a refund or dispute before the capture is known is refused as out of order (retryable)', () => {
    for (const fact of [
      { type: 'refunded', amount: 10n, reserved: false },
      { type: 'dispute_opened', amount: 10n },
    ] as Fact[]) {
      try {
        plan(fresh({ status: 'requires_capture', amountAuthorized: 1000n }), fact)
        expect.unreachable()
      } catch (err) {
        expect(isAppError(err) && err.code).toBe('PAYMENT_EVENT_OUT_OF_ORDER')
        expect(isAppError(err) && err.kind).toBe('unavailable')
      }
    }
  })

  it('a fee reported after the capture is booked once', () => {
    const captured = plan(fresh(), { type: 'captured', amount: 500n }).next
    expect(captured.amountFee).toBe(0n)
    const late = plan(captured, { type: 'captured', amount: 500n, fee: 45n })
    expect(late).toMatchObject({
      outcome: 'applied',
      next: { amountFee: 45n },
      ledger: [{ kind: 'fee', amount: 45n }],
    })
    expect(plan(late.next, { type: 'captured', amount: 500n, fee: 45n }).outcome).toBe('duplicate')
    const withFee = plan(fresh(), { type: 'captured', amount: 500n, fee: 20n })
    expect(withFee.ledger.map((s) => s.kind)).toEqual(['hold', 'post', 'fee'])
    expect(plan(withFee.next, { type: 'captured', amount: 500n, fee: 20n }).outcome).toBe('duplicate')
  })

  it('a gateway that reports more than was asked is refused', () => {
    expect(() => plan(fresh(), { type: 'authorized', amount: 1001n })).toThrow(/outside/)
    expect(() => plan(fresh(), { type: 'captured', amount: 1001n })).toThrow(/outside/)
  })

  it('a capture that timed out and did not happen returns to requires_capture', () => {
    const p = fresh({ status: 'unknown', amountAuthorized: 1000n })
    expect(plan(p, { type: 'authorized', amount: 1000n })).toMatchObject({
      outcome: 'applied',
      next: { status: 'requires_capture' },
      ledger: [],
    })
  })

  it('no record at the gateway: a payment never authorised may be confirmed again; one authorised fails', () => {
    for (const status of ['processing', 'unknown'] as const)
      expect(plan(fresh({ status }), { type: 'no_record' })).toMatchObject({
        outcome: 'applied',
        next: { status: 'requires_confirmation', declineCode: null },
        ledger: [],
      })
    expect(plan(fresh({ status: 'unknown', amountAuthorized: 1000n }), { type: 'no_record' })).toMatchObject({
      outcome: 'applied',
      next: { status: 'failed', declineCode: 'gateway_no_record' },
    })
    for (const status of ['requires_capture', 'succeeded', 'failed', 'requires_confirmation'] as const)
      expect(plan(fresh({ status }), { type: 'no_record' }).outcome).toBe('ignored')
  })

  it("an authorisation's timeout booked late leaves an authorised payment as it is; a capture's does not", () => {
    const authorised = fresh({ status: 'requires_capture', amountAuthorized: 1000n })
    expect(plan(authorised, { type: 'unknown', ofAuthorization: true })).toMatchObject({
      outcome: 'duplicate',
      next: { status: 'requires_capture' },
    })
    expect(plan(authorised, { type: 'unknown' })).toMatchObject({
      outcome: 'applied',
      next: { status: 'unknown' },
    })
    expect(plan(fresh(), { type: 'unknown', ofAuthorization: true })).toMatchObject({
      outcome: 'applied',
      next: { status: 'unknown' },
    })
  })

  it('maps gateway states to facts', () => {
    const base = { gatewayRef: 'r', amountAuthorized: 500n, amountCaptured: 0n, currency: 'USD' }
    expect(factOf({ ...base, status: 'authorized' })).toEqual({
      type: 'authorized',
      gatewayRef: 'r',
      amount: 500n,
    })
    expect(factOf({ ...base, status: 'captured', amountCaptured: 400n, fee: 12n })).toEqual({
      type: 'captured',
      gatewayRef: 'r',
      authorized: 500n,
      amount: 400n,
      fee: 12n,
    })
    expect(factOf({ ...base, status: 'declined', declineCode: 'x' })).toMatchObject({
      type: 'failed',
      declineCode: 'x',
    })
    expect(factOf({ ...base, status: 'processing' })).toMatchObject({ type: 'unknown' })
  })
})
