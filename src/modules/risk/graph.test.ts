import { describe, expect, it } from 'vitest'
import { FAR, RiskGraph } from './graph.js'

const payment = (src: string, dst: string, at: number) =>
  ({ id: `${src}-${dst}-${at}`, at, amount: 100n, currency: 'EUR', kind: 'transfer', src, dst }) as const

describe('the known-bad graph', () => {
  it('learns of a confirmed case at its time, whichever order the confirmations come in', () => {
    const g = new RiskGraph()
    g.link('a', 'b')
    g.link('b', 'c')
    // confirmed later than the graph's present, and out of order
    g.markBadAt('c', 2_000)
    g.markBadAt('a', 1_000)
    expect(g.distance('b')).toBe(FAR)
    g.advanceTo(999)
    expect(g.isBad('a')).toBe(false)
    // a payment read at 1,000 sees the case confirmed then, as the replay reads it
    g.linkPayment(payment('d', 'e', 1_000))
    expect(g.isBad('a')).toBe(true)
    expect(g.distance('b')).toBe(1)
    expect(g.isBad('c')).toBe(false)
    g.advanceTo(2_000)
    expect(g.isBad('c')).toBe(true)
    expect(g.distance('c')).toBe(0)
  })
})
