import {
  CLASSIC_RANGES,
  DEFAULT_LOOK_ALIKE_MIX,
  type NetworkRanges,
  type Range,
  type SchemeRanges,
} from './generator-configs.js'
import { CASH, currencyProfile, DAY_MS, type MonTxn, type Party, type TxnKind } from './monitoring.js'

/**
 * AMLSim-style synthetic data: ordinary customers with realistic amounts and schedules (salaries,
 * rent, card spending, bills, friends, ATM, savings, remittances, small businesses, employers,
 * cash-intensive trades, one-off large purchases and asset sales, dormant and newly opened
 * accounts) with planted, labelled typologies among them. Deterministic for a seed.
 *
 * The ordinary population deliberately contains look-alikes of every typology (employers paying
 * many employees, merchants paid by many customers, round rents and savings, remittances to
 * high-risk countries, one-off large cash deposits, asset sales moved on to savings, quiet accounts
 * that wake up for small amounts), so a rule set has to be specific to score well.
 */

export const TYPOLOGIES = [
  'structuring',
  'fan_in',
  'fan_out',
  'cycle',
  'scatter_gather',
  'gather_scatter',
  'pass_through',
  'round_amounts',
  'dormant_reactivation',
  'high_risk_jurisdiction',
  'velocity_spike',
  'mule',
] as const
/**
 * Networks with no hub, planted only where a configuration's ranges ask for them
 * (SchemeRanges.networks): the rules and the model were written and tuned without them, so they
 * measure how detection carries over to a typology nobody wrote for (session 40). `bipartite`:
 * a few accounts, each funded from outside, pay several of a few others, who take the money out;
 * `layering`: money placed in a first layer crosses `networks.layers` more layers of accounts, each
 * paying several of the next, and leaves abroad or in cash (AMLSim's bipartite and stack).
 */
export const NETWORK_TYPOLOGIES = ['bipartite', 'layering'] as const
export type Typology = (typeof TYPOLOGIES)[number] | (typeof NETWORK_TYPOLOGIES)[number]

/** Longest span (days) of each planted scheme, so that it fits before the end of the data. */
function maxDays(t: Typology, R: SchemeRanges): number {
  switch (t) {
    case 'structuring':
      return Math.ceil(R.structuringDeposits[1] * R.structuringGapDays[1] + 2)
    case 'fan_in':
      return Math.ceil(R.fanInSpreadDays[1] + R.fanInDelayDays[1] + R.fanInOutPayments[1])
    case 'fan_out':
      return Math.ceil(R.fanOutSpreadDays[1] + 1)
    case 'cycle':
      return Math.ceil(R.cycleLength[1] * R.cycleHopDays[1] + 1)
    case 'scatter_gather':
      return Math.ceil(R.gatherDelayDays[1] + 2)
    case 'gather_scatter':
      return Math.ceil(R.gatherDelayDays[1] + 3)
    case 'pass_through':
      return Math.ceil(R.passRounds[1] * (R.passDelayHours[1] / 24 + R.passOutPayments[1] * 0.5 + 1) + 1)
    case 'round_amounts':
      return Math.ceil(R.roundCount[1] * R.roundGapDays[1] + 1)
    case 'dormant_reactivation':
      return 5
    case 'high_risk_jurisdiction':
      return R.highRiskCount[1] * 5 + 1
    case 'velocity_spike':
      return 1
    case 'mule':
      return Math.ceil(R.muleSenders[1] * 1.2 + R.muleDelayHours[1] / 24 + 1)
    case 'bipartite':
    case 'layering': {
      const n = R.networks ?? DEFAULT_NETWORKS
      // placement, one hop per layer and the exit, each up to the longest delay, plus the spread
      return Math.ceil(((n.layers[1] + 2) * n.hopHours[1]) / 24 + 2)
    }
  }
}

const DEFAULT_NETWORKS: NetworkRanges = {
  layerSize: [2, 4],
  layers: [2, 3],
  amount: [3000, 12000],
  hopHours: [2, 48],
}

export interface PlantedCase {
  readonly id: string
  readonly typology: Typology
  /** Every account taking part. */
  readonly members: readonly string[]
  /** The accounts an investigator must be alerted on for the case to count as detected. */
  readonly primary: readonly string[]
  readonly txnIds: readonly string[]
  readonly start: number
  readonly end: number
}

export interface GeneratorOptions {
  readonly customers: number
  readonly days: number
  readonly seed: number
  /** Epoch ms of day 0 (default 2026-01-01T00:00Z). */
  readonly start?: number
  /** Planted cases per customer (default 0.01 = 100 cases for 10,000 customers). */
  readonly caseRate?: number
  readonly currency?: string
  /** Parameter ranges of the planted schemes and look-alikes (default CLASSIC_RANGES). */
  readonly ranges?: SchemeRanges
  /**
   * No planted scheme starts before this day (default 14: two weeks of history). An evaluation that
   * warms the features up for N days and scores the rest sets N, so that each scheme is scored whole
   * rather than its tail (session 36: wide ranges' long schemes all started on day 14 otherwise).
   */
  readonly caseFromDay?: number
}

export interface GeneratedData {
  readonly txns: MonTxn[]
  readonly parties: Party[]
  readonly cases: PlantedCase[]
  readonly start: number
  readonly end: number
  readonly highRiskCountries: readonly string[]
}

export const DEFAULT_HIGH_RISK = ['AF', 'IR', 'KP', 'MM', 'SY', 'YE', 'HT', 'SS', 'VE'] as const
const HOME = 'DE'
const FOREIGN = ['FR', 'NL', 'ES', 'IT', 'PL', 'AT', 'US', 'GB', 'TR', 'IN', 'PH', 'RO'] as const

/** sfc32: small, fast, good-quality seeded PRNG. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed
  let b = 0x243f6a88 ^ (seed * 31)
  let c = 0xb7e15162
  let d = seed | 0
  const next = (): number => {
    a |= 0
    b |= 0
    c |= 0
    d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 16; i++) next()
  return next
}

type Profile = 'regular' | 'dormant' | 'business' | 'employer' | 'merchant'

interface Customer {
  readonly id: string
  readonly profile: Profile
  readonly openedDay: number
  income: number
  payday: number
  employer: string
  rent: number
  landlord: string
  cardRate: number
  merchants: string[]
  friends: string[]
  saver: number
  remit: { to: string; country: string; amount: number } | undefined
  cashWeekly: number
  staff: string[]
  inCase: boolean
  /** Dormant accounts only: the day a small payment wakes them up (-1: never). */
  wakeDay: number
}

export function generateTransactions(opts: GeneratorOptions): GeneratedData {
  const r = rng(opts.seed >>> 0)
  const start = opts.start ?? Date.UTC(2026, 0, 1)
  const days = opts.days
  const currency = opts.currency ?? 'EUR'
  const R = opts.ranges ?? CLASSIC_RANGES
  const caseFromDay = opts.caseFromDay ?? 14
  // dormant cases wake late anyway: held to caseFromDay only when one is asked for (draws unchanged)
  const dormantFrom = opts.caseFromDay ?? 0
  const threshold = currencyProfile(currency).reportThreshold / 100
  const txns: MonTxn[] = []
  const parties: Party[] = []
  const cases: PlantedCase[] = []
  let seq = 0
  /** One customer per account here; the id strings are shared, as a real feed would intern them. */
  const customerIds = new Map<string, string>()
  const customerOf = (account: string): string => {
    let c = customerIds.get(account)
    if (c === undefined) {
      // a customer's own savings account is its current account's id with an "S" suffix
      c = `C${account.slice(1).replace(/S$/, '')}`
      customerIds.set(account, c)
    }
    return c
  }
  const cardIds = new Map<string, string>()
  const deviceIds = new Map<string, string>()
  const interned = (ids: Map<string, string>, account: string, prefix: string): string => {
    let c = ids.get(account)
    if (c === undefined) {
      c = `${prefix}${account.slice(1)}`
      ids.set(account, c)
    }
    return c
  }
  /** Accounts opened during the period → opening time. */
  const lateOpen = new Map<string, number>()

  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1))
  const uni = (lo: number, hi: number): number => lo + r() * (hi - lo)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const chance = (p: number): boolean => r() < p
  const normal = (): number => {
    let u = 0
    while (u === 0) u = r()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r())
  }
  const logn = (median: number, sigma: number): number => median * Math.exp(sigma * normal())
  const poisson = (lambda: number): number => {
    if (lambda <= 0) return 0
    const L = Math.exp(-lambda)
    let k = 0
    let p = 1
    do {
      k++
      p *= r()
    } while (p > L)
    return k - 1
  }
  /** Minor units from major units with cents. */
  const cents = (major: number): bigint => BigInt(Math.max(1, Math.round(major * 100)))
  const whole = (major: number): bigint => BigInt(Math.max(1, Math.round(major)) * 100)
  /** A time on a given day, during waking hours. */
  const at = (day: number, fromH = 7, toH = 22): number =>
    start + day * DAY_MS + Math.floor(uni(fromH, toH) * 3_600_000)

  let preHistory = false
  const push = (
    time: number,
    kind: TxnKind,
    src: string,
    dst: string,
    amount: bigint,
    extra: { srcCountry?: string; dstCountry?: string } = {},
  ): string => {
    const id = `txn_${opts.seed}_${(seq++).toString(36)}`
    // history before the data's first day only where a scheme asks for it (long dormancy)
    if ((time < start && !preHistory) || time >= start + days * DAY_MS) return id
    // nobody pays into (or out of) an account before it is opened
    if (lateOpen.size > 0) {
      const o1 = lateOpen.get(src)
      const o2 = lateOpen.get(dst)
      if ((o1 !== undefined && time < o1) || (o2 !== undefined && time < o2)) return id
    }
    txns.push({
      id,
      at: time,
      amount,
      currency,
      kind,
      src,
      dst,
      srcCountry: extra.srcCountry ?? HOME,
      dstCountry: extra.dstCountry ?? HOME,
      ...(src.startsWith('A') ? { srcCustomer: customerOf(src) } : {}),
      ...(dst.startsWith('A') ? { dstCustomer: customerOf(dst) } : {}),
      // one card per customer for card payments, one device per customer for transfers
      ...(src.startsWith('A') && kind === 'card' ? { card: interned(cardIds, src, 'card_') } : {}),
      ...(src.startsWith('A') && kind === 'transfer' ? { device: interned(deviceIds, src, 'dev_') } : {}),
    })
    return id
  }

  // ---- population ---------------------------------------------------------------------------
  const n = opts.customers
  const acc = (i: number): string => `A${i.toString().padStart(7, '0')}`
  const merchants = Array.from({ length: 400 }, (_, i) => `M${i}`)
  const utilities = Array.from({ length: 12 }, (_, i) => `U${i}`)
  const customers: Customer[] = []
  for (let i = 0; i < n; i++) {
    const x = r()
    let profile: Profile = x < 0.015 ? 'employer' : x < 0.095 ? 'business' : x < 0.125 ? 'dormant' : 'regular'
    if (R.lookAlikes && profile === 'business' && chance(0.35)) profile = 'merchant'
    // most accounts are years old; 3% were opened during the period
    const openedDay = chance(0.03) && profile === 'regular' ? int(0, days - 10) : -int(60, 3000)
    customers.push({
      id: acc(i),
      profile,
      openedDay,
      income: logn(2800, 0.4),
      payday: int(25, 28),
      employer: `P${int(0, 300)}`,
      rent: chance(0.7) ? Math.max(300, Math.round(logn(950, 0.35) / 50) * 50) : 0,
      landlord: `L${int(0, 5000)}`,
      cardRate: uni(0.15, 1.1),
      merchants: Array.from({ length: 12 }, () => pick(merchants)),
      friends: [],
      saver: chance(0.3) ? Math.round(uni(2, 20)) * 50 : 0,
      remit: undefined,
      cashWeekly: 0,
      staff: [],
      inCase: false,
      wakeDay: profile === 'dormant' && chance(0.3) ? int(40, days - 1) : -1,
    })
  }
  const individuals = customers.filter((c) => c.profile === 'regular')
  const businesses = customers.filter((c) => c.profile === 'business')
  const employers = customers.filter((c) => c.profile === 'employer')
  for (const c of individuals) {
    c.friends = Array.from({ length: 5 }, () => pick(individuals).id).filter((f) => f !== c.id)
    if (chance(0.06)) {
      const country = chance(0.35) ? pick(DEFAULT_HIGH_RISK) : pick(FOREIGN)
      c.remit = { to: `F${int(0, 99999)}`, country, amount: Math.round(uni(100, 700)) }
    }
    if (chance(0.04)) c.cashWeekly = uni(200, 2500)
    // 55% work for an employer that banks here
    if (employers.length > 0 && chance(0.55)) {
      const e = pick(employers)
      c.employer = e.id
      e.staff.push(c.id)
    } else if (businesses.length > 0 && chance(0.05)) {
      const b = pick(businesses)
      c.employer = b.id
      b.staff.push(c.id)
    }
  }
  for (const c of customers) {
    if (c.openedDay >= 0) lateOpen.set(c.id, start + c.openedDay * DAY_MS)
    parties.push({
      id: c.id,
      segment:
        c.profile === 'merchant'
          ? 'merchant'
          : c.profile === 'business' || c.profile === 'employer'
            ? 'business'
            : 'individual',
      country: HOME,
      risk: 'low',
      openedAt: start + c.openedDay * DAY_MS,
    })
  }

  // ---- ordinary behaviour ---------------------------------------------------------------------
  const active = (c: Customer, day: number): boolean => day >= c.openedDay
  for (const c of customers) {
    const oneOffDay = int(5, days - 5)
    const assetSale = c.profile === 'regular' && chance(0.015)
    const bigPurchase = c.profile === 'regular' && chance(0.03)
    const bigCash = c.profile === 'regular' && chance(0.004)
    const bigHighRisk = c.profile === 'regular' && chance(0.003)
    const wakeDay = c.wakeDay
    // with long silences configured, dormant accounts' last activity lies before the data
    const dormantUntil = c.profile === 'dormant' && R.dormantSilenceDays[1] === 0 ? int(0, 12) : -1
    for (let day = 0; day < days; day++) {
      if (!active(c, day) || c.profile === 'merchant') continue
      const dom = ((day % 30) + 30) % 30
      if (c.profile === 'dormant') {
        // a few small payments at the start, then silence; some wake up for small amounts
        if (day === dormantUntil || (day < dormantUntil && chance(0.2))) {
          push(at(day), 'card', c.id, pick(c.merchants), cents(logn(25, 0.6)))
        }
        if (day === wakeDay) push(at(day), 'card', c.id, pick(c.merchants), cents(uni(5, 300)))
        continue
      }
      if (c.profile === 'business') {
        for (let k = poisson(2); k > 0; k--) {
          push(at(day), 'transfer', pick(individuals).id, c.id, cents(logn(80, 0.8)))
        }
        if (chance(0.6)) push(at(day, 17, 19), 'cash_deposit', CASH, c.id, cents(uni(150, 2800)))
        if (day % 7 === 3) {
          for (let k = int(1, 3); k > 0; k--) {
            const amt = chance(0.15) ? whole(int(1, 8) * 1000) : cents(uni(800, 8000))
            push(at(day), 'transfer', c.id, `S${int(0, 2000)}`, amt)
          }
        }
        if (dom === c.payday)
          for (const s of c.staff) push(at(day, 8, 10), 'transfer', c.id, s, cents(logn(2300, 0.25)))
        continue
      }
      if (c.profile === 'employer') {
        if (day % 7 === 1 && chance(0.8)) {
          push(at(day), 'wire', `K${int(0, 3000)}`, c.id, cents(logn(60000, 0.6)), {
            srcCountry: pick(FOREIGN),
          })
        }
        if (dom === c.payday)
          for (const s of c.staff) push(at(day, 6, 8), 'transfer', c.id, s, cents(logn(3000, 0.3)))
        if (day % 7 === 2) {
          for (let k = int(2, 6); k > 0; k--)
            push(at(day), 'transfer', c.id, `S${int(0, 2000)}`, cents(logn(9000, 0.7)))
        }
        if (chance(0.3)) push(at(day), 'card', c.id, pick(c.merchants), cents(logn(200, 1)))
        continue
      }
      // regular individual
      if (dom === c.payday && !c.employer.startsWith('A')) {
        push(at(day, 5, 8), 'transfer', c.employer, c.id, cents(c.income * uni(0.97, 1.03)))
      }
      if (c.rent > 0 && dom === 1) push(at(day), 'transfer', c.id, c.landlord, whole(c.rent))
      if (dom === 5 || dom === 15) push(at(day), 'transfer', c.id, pick(utilities), cents(uni(30, 160)))
      if (c.saver > 0 && dom === (c.payday + 1) % 30)
        push(at(day), 'transfer', c.id, `V${c.id}`, whole(c.saver))
      for (let k = poisson(c.cardRate); k > 0; k--) {
        push(at(day), 'card', c.id, pick(c.merchants), cents(logn(30, 0.8)))
      }
      if (c.friends.length > 0 && chance(0.04)) {
        const amt = chance(0.3)
          ? whole(Math.max(1, Math.round(logn(40, 0.7) / 10)) * 10)
          : cents(logn(40, 0.7))
        push(at(day), 'transfer', c.id, pick(c.friends), amt)
      }
      if (chance(0.06))
        push(at(day), 'cash_withdrawal', c.id, CASH, whole(pick([20, 40, 50, 100, 150, 200, 300, 400])))
      if (c.cashWeekly > 0 && day % 7 === 4)
        push(at(day), 'cash_deposit', CASH, c.id, cents(c.cashWeekly * uni(0.6, 1.4)))
      if (c.remit && dom === 2) {
        push(at(day), 'transfer', c.id, c.remit.to, whole(c.remit.amount * uni(0.8, 1.2)), {
          dstCountry: c.remit.country,
        })
      }
      if (day === oneOffDay) {
        if (bigPurchase) {
          const amt = chance(0.5) ? whole(int(5, 40) * 1000) : cents(uni(5000, 40000))
          push(at(day), 'transfer', c.id, `D${int(0, 500)}`, amt)
        }
        if (assetSale) {
          const amt = uni(10000, 60000)
          push(at(day), 'transfer', `B${int(0, 9999)}`, c.id, cents(amt))
          if (chance(0.4))
            push(at(day + int(1, 4)), 'transfer', c.id, `V${c.id}`, cents(amt * uni(0.5, 0.95)))
        }
        if (bigCash) push(at(day), 'cash_deposit', CASH, c.id, cents(uni(8000, 9950)))
        if (bigHighRisk) {
          push(at(day), 'transfer', c.id, `F${int(0, 99999)}`, cents(uni(1500, 4000)), {
            dstCountry: pick(DEFAULT_HIGH_RISK),
          })
        }
      }
    }
  }

  // ---- innocent look-alikes (realistic configurations only) -----------------------------------
  if (R.lookAlikes) {
    const blackFriday = Math.min(days - 1, int(Math.floor(days * 0.6), Math.floor(days * 0.8)))
    for (const c of customers) {
      if (c.profile === 'merchant') {
        // a shop's daily cash takings, some days close to the reporting threshold, six days a week
        const usual = uni(800, 6000)
        for (let day = 0; day < days; day++) {
          if (day % 7 === 6) continue
          const boost = day === blackFriday ? uni(1.5, 2.5) : 1
          push(
            at(day, 18, 20),
            'cash_deposit',
            CASH,
            c.id,
            cents(Math.min(usual * uni(0.6, 1.6) * boost, threshold * 0.99)),
          )
          for (let k = poisson(6 * boost); k > 0; k--)
            push(at(day), 'card', pick(individuals).id, c.id, cents(logn(35, 0.8)))
          if (day % 7 === 2)
            push(
              at(day),
              chance(0.5) ? 'ach' : 'transfer',
              c.id,
              `S${int(0, 2000)}`,
              cents(usual * uni(2, 5)),
            )
        }
        continue
      }
      if (c.profile === 'business' && chance(0.25)) {
        // a wholesaler: large client payments passed on to suppliers within days
        for (let day = int(0, 6); day < days; day += int(5, 12)) {
          const a = logn(30000, 0.6)
          push(at(day), chance(0.5) ? 'wire' : 'ach', `K${int(0, 3000)}`, c.id, cents(a), {
            srcCountry: pick(FOREIGN),
          })
          for (const part of [0.5, 0.4].map((x) => x * a * uni(0.8, 1.1)))
            push(
              at(day + int(0, 3)),
              chance(0.5) ? 'wire' : 'transfer',
              c.id,
              `S${int(0, 2000)}`,
              cents(part),
            )
        }
        continue
      }
      if (c.profile === 'dormant' && R.dormantSilenceDays[1] > 0) {
        // a long-quiet account's last activity before the data starts (history longer than any window)
        preHistory = true
        push(start - (int(30, 700) + 1) * DAY_MS, 'card', c.id, pick(c.merchants), cents(logn(40, 0.6)))
        preHistory = false
        continue
      }
      if (c.profile !== 'regular' || c.openedDay >= 0) continue
      const x = r()
      const mix = R.lookAlikeMix ?? DEFAULT_LOOK_ALIKE_MIX
      if (x < mix.landlord) {
        // a landlord: several tenants pay round rents at the start of each month
        const tenants = Array.from({ length: int(...mix.landlordTenants) }, () => `T${int(0, 1e7)}`)
        const rents = tenants.map(() => Math.round(uni(500, 1600) / 50) * 50)
        for (let day = 0; day < days; day++) {
          if (day % 30 !== 1) continue
          tenants.forEach((t, i) => push(at(day + int(0, 3)), 'transfer', t, c.id, whole(rents[i]!)))
          push(at(day + 4), 'transfer', c.id, `D${int(0, 500)}`, whole(int(2, 6) * 1000))
        }
      } else if (x < mix.student) {
        // a student: family sends money (some from abroad), spent within days
        for (let day = int(0, 10); day < days; day += int(10, 30)) {
          const a = uni(200, 1500)
          push(
            at(day),
            chance(0.4) ? 'wire' : 'transfer',
            `G${int(0, 1e6)}`,
            c.id,
            cents(a),
            chance(0.4) ? { srcCountry: pick(FOREIGN) } : {},
          )
          push(at(day + int(0, 2)), 'transfer', c.id, `D${int(0, 500)}`, cents(a * uni(0.5, 0.9)))
        }
      } else if (x < mix.savings) {
        // savings sweeps to and from the customer's own savings account (round amounts)
        const own = `${c.id}S`
        for (let day = int(0, 29); day < days; day += 30) {
          push(at(day), 'transfer', c.id, own, whole(int(1, 5) * 1000))
          if (chance(0.3)) push(at(day + int(1, 10)), 'transfer', own, c.id, whole(int(1, 3) * 1000))
        }
        if (chance(0.2)) {
          // a salary swept whole to savings the day it arrives
          const d0 = int(1, days - 2)
          push(at(d0, 6, 8), 'transfer', `P${int(0, 300)}`, c.id, cents(uni(5000, 12000)))
          push(at(d0, 9, 12), 'transfer', c.id, own, whole(int(4, 10) * 1000))
        }
      } else if (x < mix.travel) {
        // travel: a burst of card payments and cash withdrawals abroad
        const d0 = int(0, days - 6)
        for (let day = d0; day < d0 + int(2, 6); day++)
          for (let k = int(5, 18); k > 0; k--)
            push(
              at(day),
              chance(0.85) ? 'card' : 'cash_withdrawal',
              c.id,
              `W${int(0, 1e6)}`,
              cents(logn(40, 0.9)),
              { dstCountry: pick(FOREIGN) },
            )
      } else if (x < mix.remittance) {
        // a remittance for a family event to a high-risk country, once
        push(
          at(int(0, days - 1)),
          chance(0.5) ? 'wire' : 'transfer',
          c.id,
          `F${int(0, 99999)}`,
          cents(uni(3000, 9000)),
          { dstCountry: pick(DEFAULT_HIGH_RISK) },
        )
      } else if (x < mix.property) {
        // a property sale: the proceeds arrive from a notary and leave for the next purchase
        const d0 = int(0, days - 6)
        const a = uni(80_000, 400_000)
        push(at(d0), 'wire', `N${int(0, 300)}`, c.id, cents(a))
        push(at(d0 + int(1, 4)), 'wire', c.id, `N${int(0, 300)}`, cents(a * uni(0.7, 0.98)))
      }
      // Black Friday: many individuals shop many times that day
      if (chance(0.35))
        for (let k = int(3, 14); k > 0; k--)
          push(at(blackFriday), 'card', c.id, pick(merchants), cents(logn(60, 0.9)))
    }
  }

  // ---- innocent business hubs (only where a configuration asks: draws nothing otherwise, so that
  // the data of every configuration written before this option is unchanged) ------------------
  if (R.lookAlikes && (R.businessHubLookAlikes ?? 0) > 0) {
    for (const c of businesses) {
      if (!chance(R.businessHubLookAlikes!)) continue
      if (chance(0.5)) {
        // a marketplace: many buyers pay in, sellers are paid out in batches a few days later
        const sellers = Array.from({ length: int(5, 25) }, () => `J${int(0, 1e6)}`)
        for (let day = int(0, 3); day < days; day += int(3, 8)) {
          let taken = 0
          for (let k = int(4, 20); k > 0; k--) {
            const a = logn(300, 0.9)
            taken += a
            push(at(day), 'transfer', pick(individuals).id, c.id, cents(a))
          }
          const payees = sellers.slice(0, int(3, sellers.length))
          for (const s of payees)
            push(
              at(day + int(2, 5)),
              chance(0.5) ? 'ach' : 'transfer',
              c.id,
              s,
              cents((taken * 0.9) / payees.length),
            )
        }
      } else {
        // a payroll bureau: client companies fund their payroll, the bureau pays their staff a day later
        const clients = Array.from({ length: int(2, 8) }, () => `K${int(0, 3000)}`)
        const staff = Array.from({ length: int(8, 60) }, () => pick(individuals).id)
        for (let m = 0; m * 30 < days; m++) {
          const day = m * 30 + int(22, 26)
          if (day >= days) break
          const total = staff.length * logn(2500, 0.2)
          for (const k of clients)
            push(
              at(day),
              chance(0.5) ? 'ach' : 'wire',
              k,
              c.id,
              cents((total / clients.length) * uni(0.8, 1.2)),
            )
          for (const e of staff)
            push(at(day + 1, 6, 9), 'transfer', c.id, e, cents((total / staff.length) * uni(0.9, 1.1)))
        }
      }
    }
  }

  // ---- planted typologies ---------------------------------------------------------------------
  // the hub-less networks join the rotation only where asked for (earlier configurations unchanged)
  const rotation: readonly Typology[] = R.networks ? [...TYPOLOGIES, ...NETWORK_TYPOLOGIES] : TYPOLOGIES
  const caseCount = Math.max(rotation.length, Math.round(n * (opts.caseRate ?? 0.01)))
  const regularPool = individuals.filter((c) => c.openedDay < 0)
  const businessPool = businesses.filter((c) => c.openedDay < 0)
  // a reactivation case needs an account that really stayed silent
  const dormantPool = customers.filter((c) => c.profile === 'dormant' && c.wakeDay < 0)
  let mules = 0
  const take = (pool: Customer[]): Customer | undefined => {
    for (let tries = 0; tries < 50 && pool.length > 0; tries++) {
      const c = pick(pool)
      if (!c.inCase) {
        c.inCase = true
        return c
      }
    }
    return undefined
  }
  const ext = (prefix: string): string => `${prefix}${int(0, 1e9).toString(36)}`
  const ri = (x: Range): number => int(x[0], x[1])
  const ru = (x: Range): number => uni(x[0], x[1])
  /** The rail of one hop of laundered money: mostly transfers, others as configured. */
  const rail = (): TxnKind => (chance(R.otherRailP) ? (chance(0.5) ? 'wire' : 'ach') : 'transfer')
  /** Splits an amount into k payments of uneven size. */
  const split = (total: number, k: number): number[] => {
    const w = Array.from({ length: k }, () => uni(0.6, 1.4))
    const sum = w.reduce((a, b) => a + b, 0)
    return w.map((x) => (total * x) / sum)
  }
  for (let k = 0; k < caseCount; k++) {
    const typology = rotation[k % rotation.length]!
    const ids: string[] = []
    const members: string[] = []
    const primary: string[] = []
    // leave two weeks of history before any case; dormant cases need two months of silence
    // leave room for the whole scheme before the end of the data (a cycle cut short is no cycle)
    let day0 =
      typology === 'dormant_reactivation'
        ? int(Math.max(dormantFrom, Math.min(70, days - 8)), Math.max(dormantFrom, days - 6))
        : int(caseFromDay, Math.max(caseFromDay, days - 2 - maxDays(typology, R)))
    if (day0 < 0) day0 = 0
    let t0 = at(day0, 0, 24)
    let tEnd = t0
    const note = (id: string, time: number): void => {
      ids.push(id)
      if (time > tEnd) tEnd = time
    }
    const tx = (
      time: number,
      kind: TxnKind,
      s: string,
      d: string,
      amt: bigint,
      extra: { srcCountry?: string; dstCountry?: string } = {},
    ): void => note(push(time, kind, s, d, amt, extra), time)
    const someone = (): string | undefined => {
      const c = take(regularPool)
      if (c) members.push(c.id)
      return c?.id
    }
    /** The account at the centre of a scheme: sometimes a business (a shell or a complicit shop). */
    const hub = (): string | undefined => {
      const c = chance(R.businessP) ? (take(businessPool) ?? take(regularPool)) : take(regularPool)
      if (c) members.push(c.id)
      return c?.id
    }
    switch (typology) {
      case 'structuring': {
        const s = chance(R.businessP / 2) ? hub() : someone()
        if (!s) continue
        primary.push(s)
        let t = t0
        let total = 0
        for (let i = ri(R.structuringDeposits); i > 0; i--) {
          const a = ru(R.structuringShare) * threshold
          total += a
          if (chance(R.structuringSplitP)) {
            // the same day's cash split over two deposits (two branches, an ATM)
            const p = uni(0.35, 0.65)
            tx(t, 'cash_deposit', CASH, s, cents(a * p))
            tx(t + uni(0.3, 5) * 3_600_000, 'cash_deposit', CASH, s, cents(a * (1 - p)))
          } else tx(t, 'cash_deposit', CASH, s, cents(a))
          t += ru(R.structuringGapDays) * DAY_MS
        }
        tx(t + uni(0.1, 2) * DAY_MS, rail(), s, ext('X'), cents(total * uni(0.7, 0.9)))
        break
      }
      case 'fan_in': {
        const h = hub()
        if (!h) continue
        primary.push(h)
        let total = 0
        let last = t0
        for (let i = ri(R.fanInSenders); i > 0; i--) {
          const s = someone()
          if (!s) continue
          const a = ru(R.fanInAmount)
          total += a
          const t = t0 + ru(R.fanInSpreadDays) * DAY_MS
          last = Math.max(last, t)
          tx(t, 'transfer', s, h, cents(a))
        }
        let t = last + ru(R.fanInDelayDays) * DAY_MS
        for (const part of split(total * uni(0.85, 0.95), ri(R.fanInOutPayments))) {
          tx(t, rail(), h, ext('X'), cents(part), chance(0.3) ? { dstCountry: pick(FOREIGN) } : {})
          t += uni(0.05, 1) * DAY_MS
        }
        break
      }
      case 'fan_out': {
        const h = someone()
        if (!h) continue
        primary.push(h)
        const total = ru(R.fanOutTotal)
        tx(t0, chance(0.5) ? 'wire' : 'transfer', ext('O'), h, cents(total), { srcCountry: pick(FOREIGN) })
        const k2 = ri(R.fanOutRecipients)
        for (let i = 0; i < k2; i++) {
          const d = someone()
          if (!d) continue
          tx(t0 + ru(R.fanOutSpreadDays) * DAY_MS, 'transfer', h, d, cents((total / k2) * uni(0.85, 1.0)))
        }
        break
      }
      case 'cycle': {
        const len = ri(R.cycleLength)
        const ring: string[] = []
        for (let i = 0; i < len; i++) {
          const m = i === 0 ? hub() : someone()
          if (m) ring.push(m)
        }
        if (ring.length < 3) continue
        primary.push(...ring)
        let amt = ru(R.cycleAmount)
        let t = t0
        for (let i = 0; i < ring.length; i++) {
          tx(t, rail(), ring[i]!, ring[(i + 1) % ring.length]!, cents(amt))
          amt *= uni(0.95, 0.995)
          t += ru(R.cycleHopDays) * DAY_MS
        }
        break
      }
      case 'scatter_gather': {
        const s = someone()
        const d = hub()
        if (!s || !d) continue
        primary.push(s, d)
        for (let i = ri(R.gatherMembers); i > 0; i--) {
          const m = someone()
          if (!m) continue
          const a = ru(R.gatherAmount)
          const t = t0 + uni(0, 1) * DAY_MS
          tx(t, 'transfer', s, m, cents(a))
          tx(t + ru(R.gatherDelayDays) * DAY_MS, rail(), m, d, cents(a * uni(0.95, 0.99)))
        }
        break
      }
      case 'gather_scatter': {
        const h = hub()
        if (!h) continue
        primary.push(h)
        let total = 0
        for (let i = ri(R.gatherMembers); i > 0; i--) {
          const s = someone()
          if (!s) continue
          const a = ru(R.gatherAmount)
          total += a
          tx(t0 + uni(0, 2) * DAY_MS, 'transfer', s, h, cents(a))
        }
        const m = ri(R.gatherMembers)
        for (let i = 0; i < m; i++) {
          const d = someone()
          if (!d) continue
          tx(
            t0 + (2 + ru(R.gatherDelayDays)) * DAY_MS,
            'transfer',
            h,
            d,
            cents((total / m) * uni(0.85, 0.98)),
          )
        }
        break
      }
      case 'pass_through': {
        const p = hub()
        if (!p) continue
        primary.push(p)
        let t = t0
        for (let i = ri(R.passRounds); i > 0; i--) {
          const a = ru(R.passAmount)
          tx(t, chance(0.7) ? 'wire' : 'ach', ext('E'), p, cents(a), { srcCountry: pick(FOREIGN) })
          let to = t + ru(R.passDelayHours) * 3_600_000
          for (const part of split(a * uni(0.9, 0.99), ri(R.passOutPayments))) {
            const dc = chance(0.5) ? pick(FOREIGN) : HOME
            tx(to, rail(), p, ext('Y'), cents(part), { dstCountry: dc })
            to += uni(0.5, 12) * 3_600_000
          }
          t = to + uni(0.2, 0.9) * DAY_MS
        }
        break
      }
      case 'round_amounts': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        const targets = Array.from({ length: int(1, 3) }, () => ext('R'))
        let t = t0
        for (let i = ri(R.roundCount); i > 0; i--) {
          tx(t, rail(), s, pick(targets), whole(ri(R.roundThousands) * 1000))
          t += ru(R.roundGapDays) * DAY_MS
        }
        break
      }
      case 'dormant_reactivation': {
        const c = take(dormantPool)
        if (!c) continue
        members.push(c.id)
        primary.push(c.id)
        const a = ru(R.dormantAmount)
        tx(t0, chance(0.6) ? 'wire' : 'transfer', ext('O'), c.id, cents(a), { srcCountry: pick(FOREIGN) })
        let left = a * uni(0.85, 0.98)
        for (let i = int(1, 3); i > 0 && left > 100; i--) {
          const part = i === 1 ? left : left * uni(0.3, 0.6)
          left -= part
          tx(t0 + uni(0.1, 4) * DAY_MS, rail(), c.id, ext('Y'), cents(part))
        }
        break
      }
      case 'high_risk_jurisdiction': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        let t = t0
        for (let i = ri(R.highRiskCount); i > 0; i--) {
          if (chance(0.5))
            tx(t, rail(), s, ext('H'), cents(ru(R.highRiskAmount)), { dstCountry: pick(DEFAULT_HIGH_RISK) })
          else
            tx(t, 'wire', ext('H'), s, cents(ru(R.highRiskAmount)), { srcCountry: pick(DEFAULT_HIGH_RISK) })
          t += uni(1, 5) * DAY_MS
        }
        break
      }
      case 'velocity_spike': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        const hours = ru(R.velocityHours)
        for (let i = ri(R.velocityCount); i > 0; i--) {
          tx(
            t0 + uni(0, Math.max(0.5, hours)) * 3_600_000,
            chance(0.5) ? 'card' : 'transfer',
            s,
            ext('Z'),
            cents(ru(R.velocityAmount)),
          )
        }
        break
      }
      case 'mule': {
        const business = chance(R.businessP)
        const id = acc(n + mules++)
        const opened = t0 - ri(R.muleAgeDays) * DAY_MS
        parties.push({
          id,
          segment: business ? 'business' : 'individual',
          country: HOME,
          risk: 'low',
          openedAt: opened,
        })
        members.push(id)
        primary.push(id)
        // a little ordinary activity after opening
        for (let i = int(0, 3); i > 0; i--)
          tx(
            opened + uni(0, (t0 - opened) / DAY_MS) * DAY_MS,
            'card',
            id,
            pick(merchants),
            cents(logn(25, 0.5)),
          )
        let t = t0
        for (let i = ri(R.muleSenders); i > 0; i--) {
          const v = someone()
          if (!v) continue
          const a = ru(R.muleAmount)
          tx(t, 'transfer', v, id, cents(a))
          if (chance(0.5))
            tx(
              t + ru(R.muleDelayHours) * 3_600_000,
              'cash_withdrawal',
              id,
              CASH,
              whole(Math.floor((a * 0.9) / 50) * 50),
            )
          else
            tx(t + ru(R.muleDelayHours) * 3_600_000, rail(), id, ext('Y'), cents(a * uni(0.85, 0.95)), {
              dstCountry: pick(FOREIGN),
            })
          t += uni(0.1, 1.2) * DAY_MS
        }
        break
      }
      case 'bipartite':
      case 'layering': {
        const N = R.networks ?? DEFAULT_NETWORKS
        const depth = typology === 'bipartite' ? 2 : 1 + ri(N.layers)
        const layers: string[][] = []
        for (let l = 0; l < depth; l++) {
          const layer: string[] = []
          for (let i = ri(N.layerSize); i > 0; i--) {
            const m = i === 1 && chance(R.businessP) ? hub() : someone()
            if (m) layer.push(m)
          }
          if (layer.length > 0) layers.push(layer)
        }
        if (layers.length < 2) continue
        primary.push(...layers.flat())
        const hop = (): number => ru(N.hopHours) * 3_600_000
        // placement: each first-layer account is funded from outside (a wire from abroad, or cash)
        let held = layers[0]!.map((m) => {
          const a = ru(N.amount)
          const t = t0 + uni(0, 1) * DAY_MS
          if (chance(0.5))
            tx(t, chance(0.7) ? 'wire' : 'ach', ext('E'), m, cents(a), { srcCountry: pick(FOREIGN) })
          else for (const part of split(a, int(1, 3))) tx(t, 'cash_deposit', CASH, m, cents(part))
          return { at: t, amount: a }
        })
        // each layer pays several accounts of the next, the whole of what it holds less a cut
        for (let l = 1; l < layers.length; l++) {
          const next = layers[l]!
          const got = next.map(() => ({ at: 0, amount: 0 }))
          layers[l - 1]!.forEach((m, i) => {
            const h = held[i]!
            const payees = next.filter(() => chance(0.75))
            if (payees.length === 0) payees.push(pick(next))
            const parts = split(h.amount * uni(0.93, 0.99), payees.length)
            payees.forEach((p, j) => {
              const t = h.at + hop()
              tx(t, rail(), m, p, cents(parts[j]!))
              const g = got[next.indexOf(p)]!
              g.amount += parts[j]!
              g.at = Math.max(g.at, t)
            })
          })
          held = got
        }
        // exit: abroad, or in cash
        layers[layers.length - 1]!.forEach((m, i) => {
          const h = held[i]!
          if (h.amount <= 0) return
          const t = h.at + hop()
          if (chance(0.3)) tx(t, 'cash_withdrawal', m, CASH, whole(Math.floor((h.amount * 0.95) / 50) * 50))
          else tx(t, rail(), m, ext('Y'), cents(h.amount * uni(0.9, 0.98)), { dstCountry: pick(FOREIGN) })
        })
        break
      }
    }
    if (ids.length === 0 || primary.length === 0) continue
    t0 = Math.min(t0, tEnd)
    cases.push({
      id: `case_${k}`,
      typology,
      members: [...new Set(members)],
      primary,
      txnIds: ids,
      start: t0,
      end: tEnd,
    })
  }

  txns.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
  return { txns, parties, cases, start, end: start + days * DAY_MS, highRiskCountries: DEFAULT_HIGH_RISK }
}
