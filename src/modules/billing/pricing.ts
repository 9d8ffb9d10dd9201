/**
 * Prices: what a quantity of a product costs for one period. Pure functions, bigint minor units.
 *
 * - fixed: one amount per period, whatever the quantity;
 * - per_unit: unitAmount × quantity;
 * - tiered: graduated (each unit priced by the tier it falls in, plus each reached tier's flat fee)
 *   or volume (every unit at the tier the whole quantity reaches, plus that tier's flat fee).
 */
export interface Tier {
  /** Last unit of the tier (inclusive); null for the last, unbounded tier. */
  readonly upTo: bigint | null
  readonly unitAmount: bigint
  readonly flatAmount: bigint
}

export type PricingModel =
  | { readonly kind: 'fixed'; readonly amount: bigint }
  | { readonly kind: 'per_unit'; readonly unitAmount: bigint }
  | { readonly kind: 'tiered'; readonly mode: 'graduated' | 'volume'; readonly tiers: readonly Tier[] }

export type IntervalUnit = 'day' | 'week' | 'month' | 'year'

export interface Interval {
  readonly unit: IntervalUnit
  readonly count: number
}

export interface Price {
  readonly id: string
  readonly productId: string
  readonly currency: string
  readonly model: PricingModel
  readonly interval: Interval
  readonly trialDays: number
  /** Tax rate in basis points applied to every line of this price (the default tax policy). */
  readonly taxRateBps: number
  /** Days after a failed renewal on which to retry (e.g. [1, 3, 5, 7]). */
  readonly dunningDays: readonly number[]
  /** Where the subscription ends when the last retry fails. */
  readonly dunningFinal: 'unpaid' | 'canceled'
  readonly active: boolean
  readonly createdAt: Date
}

/** The amount for `quantity` units for one full period. */
export function amountFor(model: PricingModel, quantity: bigint): bigint {
  switch (model.kind) {
    case 'fixed':
      return model.amount
    case 'per_unit':
      return model.unitAmount * quantity
    case 'tiered':
      return model.mode === 'graduated' ? graduated(model.tiers, quantity) : volume(model.tiers, quantity)
  }
}

function graduated(tiers: readonly Tier[], quantity: bigint): bigint {
  let total = 0n
  let from = 0n
  for (const tier of tiers) {
    if (quantity <= from) break
    const to = tier.upTo === null || tier.upTo > quantity ? quantity : tier.upTo
    total += (to - from) * tier.unitAmount + tier.flatAmount
    from = to
  }
  return total
}

function volume(tiers: readonly Tier[], quantity: bigint): bigint {
  const tier = tiers.find((t) => t.upTo === null || quantity <= t.upTo) ?? tiers[tiers.length - 1]!
  return quantity * tier.unitAmount + tier.flatAmount
}

/** Problems with a model, for the caller to fix; empty when it is valid. */
export function modelProblems(model: PricingModel): string[] {
  const p: string[] = []
  const nonNegative = (v: bigint, what: string) => v < 0n && p.push(`${what} cannot be negative`)
  switch (model.kind) {
    case 'fixed':
      nonNegative(model.amount, 'amount')
      break
    case 'per_unit':
      nonNegative(model.unitAmount, 'unitAmount')
      break
    case 'tiered': {
      if (model.tiers.length === 0) p.push('tiers needs at least one tier')
      let last = 0n
      model.tiers.forEach((t, i) => {
        nonNegative(t.unitAmount, `tiers[${i}].unitAmount`)
        nonNegative(t.flatAmount, `tiers[${i}].flatAmount`)
        const isLast = i === model.tiers.length - 1
        if (t.upTo === null && !isLast) p.push(`only the last tier may have upTo null (tiers[${i}])`)
        if (isLast && t.upTo !== null) p.push('the last tier must have upTo null')
        if (t.upTo !== null) {
          if (t.upTo <= last) p.push(`tiers[${i}].upTo must be greater than the previous tier's`)
          last = t.upTo
        }
      })
    }
  }
  return p
}

/** Tax on a net amount, rounded half up (a pluggable TaxPolicy may do otherwise). */
export function taxOn(amount: bigint, rateBps: number): bigint {
  return (amount * BigInt(rateBps) + 5000n) / 10000n
}

/**
 * The part of `amount` for [at, end) of a period [start, end), rounded half up: the proration of
 * a quantity change at `at` (remaining time) and the unused part an early end credits back.
 */
export function prorate(amount: bigint, start: Date, end: Date, at: Date): bigint {
  const total = BigInt(end.getTime() - start.getTime())
  const from = Math.min(end.getTime(), Math.max(at.getTime(), start.getTime()))
  const left = BigInt(end.getTime() - from)
  if (total <= 0n || left <= 0n) return 0n
  return (amount * left * 2n + total) / (2n * total)
}

/** The part of `amount` earned by `at` over [start, end): straight-line revenue recognition. */
export function earned(amount: bigint, start: Date, end: Date, at: Date): bigint {
  if (at.getTime() >= end.getTime()) return amount
  if (at.getTime() <= start.getTime()) return 0n
  return amount - prorate(amount, start, end, at)
}
