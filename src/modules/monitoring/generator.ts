import { CASH, DAY_MS, type MonTxn, type Party, type TxnKind } from './monitoring.js'

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
export type Typology = (typeof TYPOLOGIES)[number]

/** Longest span (days) of each planted scheme, so that it fits before the end of the data. */
const MAX_DAYS: Record<Typology, number> = {
  structuring: 18,
  fan_in: 6,
  fan_out: 4,
  cycle: 19,
  scatter_gather: 5,
  gather_scatter: 6,
  pass_through: 5,
  round_amounts: 29,
  dormant_reactivation: 5,
  high_risk_jurisdiction: 16,
  velocity_spike: 1,
  mule: 11,
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

type Profile = 'regular' | 'dormant' | 'business' | 'employer'

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
  const txns: MonTxn[] = []
  const parties: Party[] = []
  const cases: PlantedCase[] = []
  let seq = 0
  /** One customer per account here; the id strings are shared, as a real feed would intern them. */
  const customerIds = new Map<string, string>()
  const customerOf = (account: string): string => {
    let c = customerIds.get(account)
    if (c === undefined) {
      c = `C${account.slice(1)}`
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

  const push = (
    time: number,
    kind: TxnKind,
    src: string,
    dst: string,
    amount: bigint,
    extra: { srcCountry?: string; dstCountry?: string } = {},
  ): string => {
    const id = `txn_${opts.seed}_${(seq++).toString(36)}`
    if (time < start || time >= start + days * DAY_MS) return id
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
    const profile: Profile =
      x < 0.015 ? 'employer' : x < 0.095 ? 'business' : x < 0.125 ? 'dormant' : 'regular'
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
      segment: c.profile === 'business' || c.profile === 'employer' ? 'business' : 'individual',
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
    const dormantUntil = c.profile === 'dormant' ? int(0, 12) : -1
    for (let day = 0; day < days; day++) {
      if (!active(c, day)) continue
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

  // ---- planted typologies ---------------------------------------------------------------------
  const caseCount = Math.max(TYPOLOGIES.length, Math.round(n * (opts.caseRate ?? 0.01)))
  const regularPool = individuals.filter((c) => c.openedDay < 0)
  // a reactivation case needs an account that really stayed silent
  const dormantPool = customers.filter((c) => c.profile === 'dormant' && c.wakeDay < 0)
  let mules = 0
  const take = (pool: Customer[]): Customer | undefined => {
    for (let tries = 0; tries < 50; tries++) {
      const c = pick(pool)
      if (!c.inCase) {
        c.inCase = true
        return c
      }
    }
    return undefined
  }
  const ext = (prefix: string): string => `${prefix}${int(0, 1e9).toString(36)}`
  for (let k = 0; k < caseCount; k++) {
    const typology = TYPOLOGIES[k % TYPOLOGIES.length]!
    const ids: string[] = []
    const members: string[] = []
    const primary: string[] = []
    // leave two weeks of history before any case; dormant cases need two months of silence
    // leave room for the whole scheme before the end of the data (a cycle cut short is no cycle)
    let day0 =
      typology === 'dormant_reactivation'
        ? int(Math.min(70, days - 8), days - 6)
        : int(14, Math.max(14, days - 2 - MAX_DAYS[typology]))
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
    switch (typology) {
      case 'structuring': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        let t = t0
        let total = 0
        for (let i = int(4, 7); i > 0; i--) {
          const a = uni(8000, 9900)
          total += a
          tx(t, 'cash_deposit', CASH, s, cents(a))
          t += uni(0.4, 2.2) * DAY_MS
        }
        tx(t + uni(0.1, 2) * DAY_MS, 'transfer', s, ext('X'), cents(total * uni(0.7, 0.9)))
        break
      }
      case 'fan_in': {
        const h = someone()
        if (!h) continue
        primary.push(h)
        let total = 0
        let last = t0
        for (let i = int(8, 15); i > 0; i--) {
          const s = someone()
          if (!s) continue
          const a = uni(900, 4500)
          total += a
          const t = t0 + uni(0, 3) * DAY_MS
          last = Math.max(last, t)
          tx(t, 'transfer', s, h, cents(a))
        }
        tx(last + uni(0.3, 2) * DAY_MS, 'transfer', h, ext('X'), cents(total * uni(0.85, 0.95)))
        break
      }
      case 'fan_out': {
        const h = someone()
        if (!h) continue
        primary.push(h)
        const total = uni(20000, 60000)
        tx(t0, 'wire', ext('O'), h, cents(total), { srcCountry: pick(FOREIGN) })
        const k2 = int(8, 15)
        for (let i = 0; i < k2; i++) {
          const d = someone()
          if (!d) continue
          tx(t0 + uni(0.2, 3) * DAY_MS, 'transfer', h, d, cents((total / k2) * uni(0.85, 1.0)))
        }
        break
      }
      case 'cycle': {
        const len = int(3, 6)
        const ring: string[] = []
        for (let i = 0; i < len; i++) {
          const m = someone()
          if (m) ring.push(m)
        }
        if (ring.length < 3) continue
        primary.push(...ring)
        let amt = uni(8000, 40000)
        let t = t0
        for (let i = 0; i < ring.length; i++) {
          tx(t, 'transfer', ring[i]!, ring[(i + 1) % ring.length]!, cents(amt))
          amt *= uni(0.95, 0.995)
          t += uni(0.3, 3) * DAY_MS
        }
        break
      }
      case 'scatter_gather': {
        const s = someone()
        const d = someone()
        if (!s || !d) continue
        primary.push(s, d)
        for (let i = int(5, 9); i > 0; i--) {
          const m = someone()
          if (!m) continue
          const a = uni(3000, 9000)
          const t = t0 + uni(0, 1) * DAY_MS
          tx(t, 'transfer', s, m, cents(a))
          tx(t + uni(0.3, 3) * DAY_MS, 'transfer', m, d, cents(a * uni(0.95, 0.99)))
        }
        break
      }
      case 'gather_scatter': {
        const h = someone()
        if (!h) continue
        primary.push(h)
        let total = 0
        for (let i = int(5, 9); i > 0; i--) {
          const s = someone()
          if (!s) continue
          const a = uni(2000, 8000)
          total += a
          tx(t0 + uni(0, 2) * DAY_MS, 'transfer', s, h, cents(a))
        }
        const m = int(5, 9)
        for (let i = 0; i < m; i++) {
          const d = someone()
          if (!d) continue
          tx(t0 + uni(2.1, 5) * DAY_MS, 'transfer', h, d, cents((total / m) * uni(0.85, 0.98)))
        }
        break
      }
      case 'pass_through': {
        const p = someone()
        if (!p) continue
        primary.push(p)
        let t = t0
        for (let i = int(2, 4); i > 0; i--) {
          const a = uni(6000, 25000)
          tx(t, 'wire', ext('E'), p, cents(a), { srcCountry: pick(FOREIGN) })
          const dc = chance(0.5) ? pick(FOREIGN) : HOME
          tx(t + uni(1, 10) * 3_600_000, 'transfer', p, ext('Y'), cents(a * uni(0.9, 0.99)), {
            dstCountry: dc,
          })
          t += uni(0.2, 0.9) * DAY_MS
        }
        break
      }
      case 'round_amounts': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        const targets = Array.from({ length: int(1, 3) }, () => ext('R'))
        let t = t0
        for (let i = int(4, 7); i > 0; i--) {
          tx(t, 'transfer', s, pick(targets), whole(int(3, 20) * 1000))
          t += uni(1, 4) * DAY_MS
        }
        break
      }
      case 'dormant_reactivation': {
        const c = take(dormantPool)
        if (!c) continue
        members.push(c.id)
        primary.push(c.id)
        const a = uni(5000, 30000)
        tx(t0, 'wire', ext('O'), c.id, cents(a), { srcCountry: pick(FOREIGN) })
        let left = a * uni(0.85, 0.98)
        for (let i = int(1, 3); i > 0 && left > 100; i--) {
          const part = i === 1 ? left : left * uni(0.3, 0.6)
          left -= part
          tx(t0 + uni(0.1, 4) * DAY_MS, 'transfer', c.id, ext('Y'), cents(part))
        }
        break
      }
      case 'high_risk_jurisdiction': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        let t = t0
        for (let i = int(2, 4); i > 0; i--) {
          if (chance(0.5))
            tx(t, 'transfer', s, ext('H'), cents(uni(4000, 20000)), { dstCountry: pick(DEFAULT_HIGH_RISK) })
          else tx(t, 'wire', ext('H'), s, cents(uni(4000, 20000)), { srcCountry: pick(DEFAULT_HIGH_RISK) })
          t += uni(1, 5) * DAY_MS
        }
        break
      }
      case 'velocity_spike': {
        const s = someone()
        if (!s) continue
        primary.push(s)
        for (let i = int(20, 40); i > 0; i--) {
          tx(t0 + uni(0, 12) * 3_600_000, chance(0.5) ? 'card' : 'transfer', s, ext('Z'), cents(uni(50, 900)))
        }
        break
      }
      case 'mule': {
        const id = acc(n + mules++)
        const opened = t0 - int(3, 25) * DAY_MS
        parties.push({ id, segment: 'individual', country: HOME, risk: 'low', openedAt: opened })
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
        for (let i = int(4, 8); i > 0; i--) {
          const v = someone()
          if (!v) continue
          const a = uni(400, 3000)
          tx(t, 'transfer', v, id, cents(a))
          if (chance(0.5))
            tx(
              t + uni(1, 20) * 3_600_000,
              'cash_withdrawal',
              id,
              CASH,
              whole(Math.floor((a * 0.9) / 50) * 50),
            )
          else
            tx(t + uni(1, 20) * 3_600_000, 'transfer', id, ext('Y'), cents(a * uni(0.85, 0.95)), {
              dstCountry: pick(FOREIGN),
            })
          t += uni(0.1, 1.2) * DAY_MS
        }
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
