import { describe, expect, it } from 'vitest'
import type { EntityHabits, StoredHistory } from '../monitoring/index.js'
import { gateInputsDigest } from './gate-inputs.js'

/**
 * The gate's input digest must not change when the database hands the same seeds over differently
 * (counterparties in another order, float sums in another order: the last bits of a mean), or a
 * promotion would replay minutes of history for nothing; and it must change when what the gate reads
 * changes (one more transaction before the window).
 */
const habits = (n: number, mean: number, cps: [string, number, number][]): EntityHabits => ({
  kind: 'account',
  id: 'acc_1',
  in: { n: 0, mean: 0, m2: 0, counterparties: [] },
  out: { n, mean, m2: 2.5, counterparties: cps.map(([cp, first, last]) => ({ cp, first, last })) },
})

const history = (h: EntityHabits): StoredHistory => ({
  txns: [],
  parties: [],
  lists: new Map(),
  activeRuleSet: undefined,
  range: undefined,
  seeds: { activity: [], habits: [h] },
})

/** A mean, and the same mean one unit in the last place away (a float sum in another order). */
const MEAN = 8.123456789
const MEAN_NEXT = MEAN * (1 + Number.EPSILON)

describe('gate inputs digest', () => {
  const cps: [string, number, number][] = [
    ['acc_b', 1, 5],
    ['acc_a', 2, 3],
  ]
  const base = gateInputsDigest(history(habits(4, MEAN, cps)), [], undefined)

  it('sees the two means as different numbers', () => expect(MEAN_NEXT).not.toBe(MEAN))

  it('is the same for the same seeds handed over in another order or summed in another order', () => {
    expect(gateInputsDigest(history(habits(4, MEAN, [...cps].reverse())), [], undefined)).toBe(base)
    expect(gateInputsDigest(history(habits(4, MEAN_NEXT, cps)), [], undefined)).toBe(base)
  })

  it('changes when the seeds do', () => {
    expect(gateInputsDigest(history(habits(5, MEAN, cps)), [], undefined)).not.toBe(base)
    expect(gateInputsDigest(history(habits(4, 8.2, cps)), [], undefined)).not.toBe(base)
    expect(gateInputsDigest(history(habits(4, MEAN, [...cps, ['acc_c', 6, 6]])), [], undefined)).not.toBe(
      base,
    )
  })
})
