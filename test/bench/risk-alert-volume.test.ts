import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DAY_MS, withinBudget, type AlertBudget } from '../../src/modules/monitoring/index.js'
import { AlertVolume, MIN_RULED, VOLUME_WINDOW_MS } from '../../bench/risk-alert-volume.js'

// A trained budget whose cut sits above the rules' precision, as fitted on a validation period where
// the model's top customers were surer than the rules (sessions 32–33 saw 0.87 against 0.84).
const TRAINED: AlertBudget = { rulesPrecision: 0.6, cut: 0.9, cutModel: 0.5, customers: 40 }
const T0 = Date.UTC(2026, 0, 10)

interface Customer {
  readonly id: string
  readonly confidence: number
  readonly probability: number
  readonly ruled: boolean
}

/** How many of `customers` (at their scores) `b` puts in the queue. */
const queued = (b: AlertBudget, customers: readonly Customer[]): number =>
  customers.filter((c) => withinBudget(b, c.confidence, c.probability, c.ruled)).length

function feed(v: AlertVolume, customers: readonly Customer[], at: number): void {
  for (const c of customers) {
    v.observe(c.id, at, c.confidence, c.probability)
    if (c.ruled) v.ruled(c.id, at)
  }
}

const population = (ruled: number, others: number): Customer[] => [
  // the rules' customers: the model rates most of them below the rules' precision
  ...Array.from({ length: ruled }, (_, i) => ({
    id: `r${i}`,
    confidence: 0.2 + (i % 7) * 0.1,
    probability: 0.01 + i / 1000,
    ruled: true,
  })),
  ...Array.from({ length: others }, (_, i) => ({
    id: `m${i}`,
    confidence: (i % 86) / 100, // none as sure as the trained cut
    probability: 0.001 + i / 100_000,
    ruled: false,
  })),
]

describe('the rejected alert volume (ADR 1402) puts the rules’ count of the window in the queue', () => {
  it('queues as many customers as the rules alerted on, where the trained cut queued none', () => {
    const customers = population(40, 2_000)
    const v = new AlertVolume(TRAINED)
    feed(v, customers, T0)
    expect(queued(TRAINED, customers)).toBe(0)
    const b = v.budgetAt(T0 + DAY_MS)
    expect(b.customers).toBe(40)
    expect(queued(b, customers)).toBe(40)
    // what a score means is not refitted: only the cut moves
    expect(b.rulesPrecision).toBe(TRAINED.rulesPrecision)
  })

  it('for any population, queues exactly the rules’ count (distinct scores), or everyone when fewer were scored', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 6 }),
            confidence: fc.integer({ min: 0, max: 1000 }).map((x) => x / 1000),
            ruled: fc.boolean(),
          }),
          { selector: (c) => c.id, minLength: 0, maxLength: 120 },
        ),
        (raw) => {
          // a distinct model score per customer: ties in both scores are decided by neither
          const customers = raw.map((c, i) => ({ ...c, probability: (i + 1) / 1000 }))
          const v = new AlertVolume(TRAINED, VOLUME_WINDOW_MS, 1)
          feed(v, customers, T0)
          const b = v.budgetAt(T0 + DAY_MS)
          const ruled = customers.filter((c) => c.ruled).length
          if (ruled === 0) expect(b).toBe(TRAINED)
          else expect(queued(b, customers)).toBe(ruled)
        },
      ),
    )
  })

  it('keeps the trained cut until the window holds enough rule-alerted customers', () => {
    const few = population(MIN_RULED - 1, 500)
    const v = new AlertVolume(TRAINED)
    feed(v, few, T0)
    expect(v.budgetAt(T0 + DAY_MS)).toBe(TRAINED)
    v.ruled('late', T0 + DAY_MS + 1)
    // refitted once a day of transaction time: the same day keeps its budget
    expect(v.budgetAt(T0 + DAY_MS + 2)).toBe(TRAINED)
    expect(v.budgetAt(T0 + 2 * DAY_MS).customers).toBe(MIN_RULED)
  })

  it('forgets rule alerts and peaks older than the window', () => {
    const customers = population(40, 300)
    const v = new AlertVolume(TRAINED)
    feed(v, customers, T0)
    expect(v.budgetAt(T0 + DAY_MS).customers).toBe(40)
    // a month later only new traffic counts: 12 rule-alerted customers, 100 others
    const later = T0 + VOLUME_WINDOW_MS + DAY_MS
    const recent = population(12, 100).map((c) => ({ ...c, id: `new-${c.id}` }))
    feed(v, recent, later)
    const b = v.budgetAt(later + DAY_MS)
    expect(b.customers).toBe(12)
    expect(queued(b, recent)).toBe(12)
  })

  it('counts a rule-alerted customer the model never scored as one of the places', () => {
    const customers = population(20, 200)
    const v = new AlertVolume(TRAINED)
    feed(v, customers, T0)
    for (let i = 0; i < 5; i++) v.ruled(`outside${i}`, T0) // never scored (an outside account)
    const b = v.budgetAt(T0 + DAY_MS)
    expect(b.customers).toBe(25)
    expect(queued(b, customers)).toBe(20)
  })

  it('leaves no place to a scored customer when unscored rule alerts take them all', () => {
    const v = new AlertVolume(TRAINED, VOLUME_WINDOW_MS, 1)
    v.ruled('outside', T0)
    v.observe('c', T0, 0.99, 0.9)
    const b = v.budgetAt(T0 + DAY_MS)
    expect(withinBudget(b, 0.99, 0.9, false)).toBe(false)
  })
})
