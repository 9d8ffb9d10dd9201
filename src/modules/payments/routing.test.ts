import { describe, expect, it } from 'vitest'
import { isAppError } from '../../shared/errors.js'
import { createSandboxGateway } from './gateways/sandbox/sandbox.js'
import type { PaymentGateway } from './gateway.js'
import { createGatewayRegistry, route, validateRules, weightedOrder, type RoutingRule } from './routing.js'

const registry = () => {
  const r = createGatewayRegistry()
  r.register(createSandboxGateway())
  r.register(createSandboxGateway({ id: 'sandbox2' }), 'sandbox2')
  const eurOnly: PaymentGateway = {
    ...createSandboxGateway({ id: 'eur' }),
    capabilities: { ...createSandboxGateway().capabilities, currencies: ['EUR'], manualCapture: false },
  }
  r.register(eurOnly, 'eur')
  return r
}
const payment = (over: Partial<Parameters<typeof route>[2]> = {}) => ({
  id: 'pay_1',
  amount: 1000n,
  currency: 'EUR',
  capture: 'automatic' as const,
  card: { brand: 'visa', country: 'FR' },
  ...over,
})

describe('routing', () => {
  it('without rules, every registered gateway that can take the payment, in registration order', () => {
    expect(route([], registry(), payment())).toEqual(['sandbox', 'sandbox2', 'eur'])
    expect(route([], registry(), payment({ currency: 'USD' }))).toEqual(['sandbox', 'sandbox2'])
    expect(route([], registry(), payment({ capture: 'manual' }))).toEqual(['sandbox', 'sandbox2'])
  })

  it('the first matching rule by priority decides; conditions are currency, amount, card brand and country', () => {
    const rules: RoutingRule[] = [
      { id: 'big', priority: 2, match: { minAmount: 5000n }, gateways: [{ gateway: 'sandbox2', weight: 1 }] },
      { id: 'amex', priority: 1, match: { cardBrands: ['amex'] }, gateways: [{ gateway: 'eur', weight: 1 }] },
      {
        id: 'gb',
        priority: 3,
        match: { cardCountries: ['GB'], maxAmount: 100n },
        gateways: [{ gateway: 'sandbox2', weight: 1 }],
      },
      {
        id: 'eur',
        priority: 9,
        match: { currencies: ['EUR'] },
        gateways: [
          { gateway: 'eur', weight: 1 },
          { gateway: 'sandbox', weight: 1 },
        ],
      },
    ]
    const r = registry()
    expect(route(rules, r, payment({ amount: 6000n }))[0]).toBe('sandbox2')
    expect(route(rules, r, payment({ card: { brand: 'amex' } }))).toEqual(['eur'])
    expect(route(rules, r, payment({ card: { country: 'GB' }, amount: 50n }))).toEqual(['sandbox2'])
    expect(route(rules, r, payment({ card: { country: 'GB' }, amount: 500n }))).toHaveLength(2)
    // A rule naming only gateways that cannot take the payment leaves nothing to try.
    expect(route(rules, r, payment({ currency: 'USD', card: { brand: 'amex' } }))).toEqual([])
  })

  it('weights split traffic deterministically by payment id, the others follow for failover', () => {
    const gateways = [
      { gateway: 'a', weight: 80 },
      { gateway: 'b', weight: 20 },
    ]
    const firsts = Array.from({ length: 2000 }, (_, i) => weightedOrder(gateways, `pay_${i}`))
    const share = firsts.filter((o) => o[0] === 'a').length / firsts.length
    expect(share).toBeGreaterThan(0.75)
    expect(share).toBeLessThan(0.85)
    for (const o of firsts) expect([...o].sort()).toEqual(['a', 'b'])
    expect(weightedOrder(gateways, 'pay_x')).toEqual(weightedOrder(gateways, 'pay_x'))
    expect(
      weightedOrder(
        [
          { gateway: 'a', weight: 0 },
          { gateway: 'b', weight: 5 },
        ],
        'p',
      )[0],
    ).toBe('b')
  })

  it('rules naming unknown gateways, bad weights or empty ranges are refused', () => {
    const r = registry()
    const bad: RoutingRule[][] = [
      [{ id: 'x', priority: 1, match: {}, gateways: [{ gateway: 'stripe', weight: 1 }] }],
      [{ id: 'x', priority: 1, match: {}, gateways: [{ gateway: 'sandbox', weight: -1 }] }],
      [
        {
          id: 'x',
          priority: 1,
          match: { minAmount: 10n, maxAmount: 5n },
          gateways: [{ gateway: 'sandbox', weight: 1 }],
        },
      ],
      [
        { id: 'x', priority: 1, match: {}, gateways: [{ gateway: 'sandbox', weight: 1 }] },
        { id: 'x', priority: 2, match: {}, gateways: [{ gateway: 'sandbox', weight: 1 }] },
      ],
    ]
    for (const rules of bad) {
      try {
        validateRules(rules, r)
        expect.unreachable()
      } catch (err) {
        expect(isAppError(err) && err.code).toBe('PAYMENT_ROUTING_RULE_INVALID')
      }
    }
  })
})
