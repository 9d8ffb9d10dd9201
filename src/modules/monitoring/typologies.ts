import { CASH_OUTSIZED, PRIOR_DAYS } from './features.js'
import type { RuleDef, RuleSetDef } from './monitoring.js'

/**
 * The typology pack: AML detection rules in CEL with their parameters, plus risk-scoring rules.
 * Amounts are minor units (100 = 1.00 of a 2-decimal currency); thresholds below are written for
 * EUR-like currencies. Each parameter is documented in docs/monitoring.md; a team changes them by
 * saving a new rule-set version (draft → backtest → shadow → active).
 */

/** Thresholds that depend on who holds the account (a shop's daily cash takings are not structuring). */
export interface SegmentParams {
  /** Structuring: lower edge of the band below the reporting threshold (0 = no structuring rule). */
  readonly structuringBand: number
  /**
   * Structuring spread over days and deposits: 1 = judge the cash paid in over 7 and 30 days, each
   * deposit below the threshold (0 = no rule: a business's cash takings add up by design).
   */
  readonly structuringSpread: number
  /**
   * Structuring unlike the account's own cash (0 = no rule): cash deposits in 7 days, each at least
   * this share of the reporting threshold and below it, each outsized for the account (at least 1.5
   * times its largest deposit of the 30 days before the week: `cash_in_outsized_*`), at least
   * `structuringUnusualDeposits` of them passing the threshold together. For businesses, whose cash
   * takings add up by design: a shop's takings stay within their own range, a sale day is one day.
   */
  readonly structuringUnusualBand: number
  /**
   * Cash placed among a business's takings, then moved on in one payment (0 = no rule; session 50):
   * a payment to a new counterparty of at least the reporting threshold and at least this many times
   * the account's largest payment of the 90 days before, its cash deposits of 30 days covering at
   * least `structuringCashOutCover` of it. A shop's takings pay its suppliers in the sums they always
   * were; structuring hidden among them ends in a payment the account never made before.
   */
  readonly structuringCashOutOutsized: number
  /** Gathering: distinct senders and total in 7 days, then most of it moved on (0 senders = no rule). */
  readonly fanInSenders: number
  readonly fanInMinSum: number
  /**
   * Gathering must also be a surge (0 = no condition): the week's inflow beyond its largest single
   * payment at least this many times the account's usual week (the 23 days before, or what it has
   * been watched of them). Many new senders are a shop's ordinary week, not gathering.
   */
  readonly fanInSurge: number
  /**
   * Gathering from people (0 = no rule): this many distinct individuals, new to the account in
   * 30 days, each paying it a sizeable sum (≥ 10 × its usual inflow: `person_in_*`), at least
   * `fanInMinSum` together, then moved on. For businesses, whose own customers pay them small sums:
   * the account's whole turnover (client wires, a payroll's funding) no longer hides the scheme.
   */
  readonly fanInPersons: number
  /** Scattering: distinct recipients and total in 48 h (0 = no rule). */
  readonly fanOutRecipients: number
  readonly fanOutMinSum: number
  /**
   * Scattering traced from one inflow (0 = no rule): the account's largest recent inflow, from a
   * sender new to it (not a salary), has gone to at least this many payees it had never paid,
   * over days and in amounts of any size (`flow_out_new_payments`, `flow_out_new_share`). The 48-hour
   * rule sees only recipients paid close together and sizeable sums.
   */
  readonly fanOutTracedPayees: number
  /** Pass-through: smallest traced inflow (0 = no rule). */
  readonly passThroughMinAmount: number
  /**
   * Pass-through of an inflow unlike the account's past (-1 = no condition): at most this many
   * non-cash inflows of 30 % its size or more in the 60 days before it (`flow_in_prior_days`: a
   * wholesaler's routine client payment passed on to suppliers is not laundering; a first one is).
   */
  readonly passThroughMaxPriorDays: number
  /**
   * Days with comparable inflows before the traced one, and comparable inflows after it, allowed
   * (each at most this many) for a payment that takes the traced inflow abroad (it crosses a border itself, or part
   * of the inflow already left abroad: `flow_out_abroad`); -1 = no more than `passThroughMaxPriorDays`.
   * Session 25: business schemes passing foreign money on in two to four rounds had their own
   * earlier rounds counted as prior inflows, and escaped; the innocent look-alike, a wholesaler
   * passing client wires to its home suppliers every week or two, does not send them abroad.
   * Session 33: the same bound holds for comparable inflows AFTER the traced one (`flow_in_after`,
   * otherwise 0): a scheme's next round, or a client wire, arriving while this one is still passed on.
   */
  readonly passThroughMaxInflowDaysAbroad: number
  /**
   * ...and only while the inflow is at most this many hours old: a scheme's rounds leave within the
   * week; an importer paying a foreign supplier on terms, a month after the last client wire, is
   * routine trade (typologies.test.ts).
   */
  readonly passThroughPriorAbroadHours: number
  /**
   * Hours within which the traced inflow must have left, for this segment (0 = the pack's
   * `passThroughHours`): a person holding money a week before passing it on is as suspicious as one
   * passing it on at once, a wholesaler paying suppliers a week after its client paid is routine.
   */
  readonly passThroughHours: number
  /**
   * Money held longer and then sent abroad again (0 = no such extension): up to this many hours
   * when the payment crosses a border, or when the inflow came from abroad and part of it has
   * already left abroad again (session 22: a hub paying on over days, abroad and at home, completes
   * 80 % with a home payment; `flow_out_abroad`). A wholesaler pays its home suppliers a week after a client
   * paid it; an inflow from abroad leaving abroad again days later is transit (session 18). Business
   * default 336 h, the whole 14 days an inflow is traced (session 33; 240 h and 10 days from session
   * 19, 192 h before): a hub paying on in many payments over days passes 80 % of the inflow well after
   * its first payment left, and some hold the inflow for over a week before the first.
   */
  readonly passThroughTransitHours: number
  /**
   * Pass-through read as "paid on to new payees since it arrived" (0 = no rule; session 52): at
   * least this share of the inflow a payment follows (`fresh_*`, the latest inflow about its size)
   * went to payees new to the account within `passThroughMatchedHours`, whichever money the account
   * paid it from. A busy business holds a balance, so first in first out charges a foreign wire
   * passed on within hours to a client's wire of days before (tuning_mule: 3 of 5 misses).
   */
  readonly passThroughMatchedShare: number
  /** Velocity: online (device) payments in 24 h to many distinct payees (0 = no rule). */
  readonly velocityDevicePayments: number
  /**
   * Velocity over two days, on any rail (0 = no rule): payees new to the account within 48 hours,
   * this one included (session 23). A taken-over or rented account is emptied to strangers over
   * a day or more, by card and transfer alike, in sums well above its usual payments. Off by
   * default: it costs innocent customers on the tuning data (docs/benchmarks/monitoring.md, session 23).
   */
  readonly velocitySpreadPayees: number
  /**
   * Velocity to strangers (0 = no rule; session 30): the K-th payment within 48 hours, this one
   * included, to a payee nobody had ever dealt with (`unseen_out_count_48h`). An account taken over
   * is emptied to accounts opened for it; a shopping spree pays shops other customers pay too.
   */
  readonly velocityUnseenPayees: number
}

export type Segment = 'individual' | 'business' | 'merchant'

export interface TypologyParams {
  /** Share of the currency's reporting threshold a structuring deposit must reach (per segment band below). */
  readonly fanOutMinPayment: number
  /**
   * Smallest payment (minor units) that closes a cycle worth an alert: 1,000 since session 44 (3,000
   * before, when rings of 2,500 on tuning_cycles escaped; no tuning set showed an innocent ring even
   * at 500, so the floor is a judgement of what an analyst would open, not a figure tuned to data).
   */
  readonly cycleMinAmount: number
  /** Traced scattering: smallest traced inflow, and the share of it paid to new payees. */
  readonly fanOutTracedMinAmount: number
  readonly fanOutTracedShare: number
  /** ... of which at least this share beyond the largest single new payee (a purchase is not scattering). */
  readonly fanOutTracedSpread: number
  /** Share of a traced inflow that has left again (several payments may make it up). */
  readonly passThroughShare: number
  /**
   * Or: one payment alone carries at least this share of the traced inflow (0 = no such route;
   * session 30). First in, first out charges the payment to the account's older money first, so an
   * inflow passed on whole by an account holding a salary read 76 % passed on.
   */
  readonly passThroughOnePaymentShare: number
  /**
   * Days the store must have watched an older account before "no comparable inflow in the 60 days
   * before" counts for money passed on at home (session 42's cold-start guard; at most PRIOR_DAYS,
   * the days `flow_in_prior_days` reads). A parameter since session 50, to try shorter guards.
   */
  readonly passThroughColdStartDays: number
  /** Hours within which it left. */
  readonly passThroughHours: number
  /** The onward payment is at most this multiple of the traced inflow (beyond it, savings are being spent). */
  readonly passThroughMaxPaymentShare: number
  /**
   * Hours within which the inflow a payment follows went on to new payees (`passThroughMatchedShare`):
   * 72 (48 first, session 52: at 72 four more cases on tuning_business_cash and tuning_mule, schemes
   * finishing abroad on the third day, and no innocent customer more on any tuning set run).
   */
  readonly passThroughMatchedHours: number
  /**
   * Money from alerted accounts (network.passes_on_alerted_funds, session 40): at least this much
   * received in 72 hours from accounts alerted on shortly before, and this share of it passed on.
   */
  readonly networkMinAmount: number
  readonly networkShare: number
  readonly roundMinAmount: number
  /** Earlier round-amount payments in 30 days before the current one. */
  readonly roundPriorCount: number
  /**
   * A second large round payment (round_amounts.large_pair, session 48): the payment, and an
   * earlier one of the last 30 days, each at least this share of the currency's cash reporting
   * threshold (0 = the rule is off).
   */
  readonly roundPairShare: number
  readonly dormantDays: number
  readonly dormantMinAmount: number
  /** Outgoing: share of the currency's reporting threshold (a one-off family remittance stays below it). */
  readonly highRiskOutShare: number
  readonly highRiskInMinAmount: number
  readonly velocityPayees: number
  /**
   * Of the 24 h's payees, how many must be new to the account (0 = no condition): a burst to
   * strangers, not a busy day of friends, rent and favourite shops.
   */
  readonly velocityNewPayees: number
  /**
   * Online payments the spike needs in 24 hours when fewer than two of its payments in 48 hours
   * went to accounts nobody had dealt with (0 = no such condition; session 43). An ordinary busy day
   * is three transfers to friends beside card purchases, most payees "new" in the store's first
   * month; an account being emptied pays strangers, or pays many.
   */
  readonly velocityDevicePaymentsToKnown: number
  /**
   * The two-day velocity rule: the payments' average at least this many times the account's usual
   * payment (a shopping spree of ordinary tickets is not an account being emptied), and the
   * account known to the store for at least `velocitySpreadKnownDays` (before that every payee is new).
   */
  readonly velocitySpreadAmount: number
  readonly velocitySpreadKnownDays: number
  /** Velocity to strangers: those payments' average at least this many times the account's usual payment. */
  readonly velocityUnseenAmount: number
  /** ... and the account known to the store for at least this many days (its usual payment means something). */
  readonly velocityUnseenKnownDays: number
  readonly muleMaxAgeDays: number
  readonly muleSenders: number
  /** Received in 7 days beyond the single largest inflow (several senders' money, not one salary). */
  readonly muleMinSum: number
  /**
   * Mules in older accounts (-1 = no rule): an account of any age whose activity before the week
   * was at most this many events (bought or rented accounts, or ones kept aside for it), once the
   * store has watched at least `fanInMinObservedDays` (on a cold start every account looks quiet).
   */
  readonly muleQuietEvents: number
  /**
   * The quiet-account rule's share of the week's inflow drained when the payment leaves in cash or
   * abroad (how mules pay on); any other payment needs half. Session 46: a quiet account holding
   * money for days had paid on 37–45 % of the week's collection by its first cash-out or wire abroad,
   * and by its next ones the first senders had left the week (tuning_mule: 2 more cases, no innocent
   * customer more on any tuning set). 0.5 = no difference.
   */
  readonly muleCashOutShare: number
  /**
   * 1: the mule rules count neither the senders nor the money that came from companies (a business
   * party's account: an employer, a payroll firm); 0: every sender counts. Mules collect from
   * victims and from other mules; a young account paid wages by several companies in a week is a
   * worker with several jobs (session 23: most of the mule rules' innocent alerts on the tuning
   * data, where payroll firms pay staff who bank here).
   */
  readonly muleNotFromCompanies: number
  /** Days an account must have been watched before a sender can be called new (cold start: every counterparty looks new). */
  readonly fanInMinObservedDays: number
  /** Smallest share of the week's inflow one onward payment must carry (gathered money may leave in several). */
  readonly fanInMinPaymentShare: number
  /**
   * Gathering over a month (0 = no rule): the fan-in rule on 30-day windows, for senders spread over
   * more than a week or money held longer before it leaves. The sum is what came in beyond the
   * largest single inflow (a salary), the account must have been watched this many days (senders
   * new in the month only mean something once the month before is known). 60 days since session
   * 20 (44 before): the usual month is read from the days watched before the month, and from two
   * weeks a monthly salary or a one-off bonus beside it may be missing from it, so an ordinary
   * month of pay and friends' small payments read as a surge.
   */
  readonly fanInMonthObservedDays: number
  /**
   * Traced scattering from a sender at home: days the account must have been watched before a
   * sender can be called new to it (44, the month rule's own until session 20; from abroad at once).
   */
  readonly fanOutTracedObservedDays: number
  /** Smallest share of the month's inflow one onward payment must carry. */
  readonly fanInMonthPaymentShare: number
  /**
   * The month's inflow beyond its largest payment must be at least this many times the account's
   * usual month (the 60 days before, or what was watched of them), for every segment (a business
   * takes the larger of this and its `fanInSurge`): a landlord's new tenants and friends settling
   * shared bills are an ordinary month, not gathering.
   */
  readonly fanInMonthSurge: number
  /** Smallest share of the people's sizeable payments one onward payment must carry (the hub may pay out to many). */
  readonly fanInPersonPaymentShare: number
  /**
   * The people's sizeable payments must be at least this share of everything the account received
   * in the 30 days: a marketplace's buyers now and then pay it a larger sum, but those are a small
   * part of its takings; a hub's gathered money is most of its month.
   */
  readonly fanInPersonShare: number
  /**
   * Gathering from people in a burst (0 = no rule; for the segments with `fanInPersons`): at least
   * this many individuals new to the account paid it sizeable sums (`person_in_*_14d`) within a
   * fortnight after at most `fanInBurstPrior` such payers in the 16 days before. A busy business's
   * client wires and cash takings make a hub's gathered money 10–25 % of its month, below
   * `fanInPersonShare`, so a burst needs only `fanInBurstShare` of the month; a marketplace whose
   * buyers now and then pay it a larger sum has such payers every week, before the fortnight too.
   * Session 51: 6 of the 11 business fan-in misses on tuning_business_cash (the share lowered to
   * 10 % instead caught all 11, and 115 innocent customers more on tuning_business, marketplaces).
   */
  readonly fanInBurstPersons: number
  readonly fanInBurstPrior: number
  readonly fanInBurstShare: number
  /** Days watched before a burst can be told from the usual (the fortnight and a week before it). */
  readonly fanInBurstWatchedDays: number
  /** Spread structuring: cash deposits in 7 days (this one included) and their total as a share of the threshold. */
  readonly structuringWeekDeposits: number
  readonly structuringWeekShare: number
  /** The same over 30 days: more deposits, a larger total (a weekly cash wage stays below it). */
  readonly structuringMonthDeposits: number
  readonly structuringMonthShare: number
  /** Unusual structuring (`structuringUnusualBand`): outsized cash deposits in 7 days, this one included. */
  readonly structuringUnusualDeposits: number
  /**
   * Structuring then placement (0 = no rule): cash deposits in 30 days, each below the reporting
   * threshold and together at least `structuringCashOutSum` of it, then one payment to a new
   * counterparty of at least `structuringCashOutShare` of that cash. Deposits spread too thin or too
   * far apart for the week and month rules still end in the payment that moves the money on.
   */
  readonly structuringCashOutSum: number
  readonly structuringCashOutShare: number
  /**
   * ... in at most this many deposits: a weekly cash wage is four or five deposits a month, and its
   * earner buying a car from a new seller is not moving structured cash on (session 47: on
   * tuning_business and tuning_rails every innocent customer the rule alerted was such an earner).
   */
  readonly structuringCashOutMaxDeposits: number
  /**
   * ... and the payment at most this many times that cash (0 = no limit): it carries the cash on, not
   * a house's price paid from a sale or savings (session 47: a weekly earner paying a notary 303,794
   * against 9,441 of cash, on the spent holdout37x).
   */
  readonly structuringCashOutMaxPaymentShare: number
  /**
   * ... once the store has watched this many days (0 = from the start): "few deposits in 30 days"
   * means nothing before it has watched 30 (session 47: both innocent customers the rule alerted on
   * the spent holdout37x were weekly earners with three deposits seen in the store's first weeks).
   * Opt-in: at 30 it cost one scheme of tuning_structuring, placed and moved on in the store's
   * first three weeks, and spared no innocent customer on any tuning set read.
   */
  readonly structuringCashOutWatchedDays: number
  /** Share of the outsized payment the 30 days' cash must cover (`structuringCashOutOutsized`). */
  readonly structuringCashOutCover: number
  /**
   * The outsized payment's other funding: the account's non-cash inflows of 30 days stay below this
   * share of it (session 50: without it, 105-121 innocent businesses of tuning_business and
   * tuning_business_cash, every one a wholesaler paying a supplier out of its client wires).
   */
  readonly structuringCashOutNonCashShare: number
  /** Days the store must have watched before an outsized payment is judged (its 90 days' payments known). */
  readonly structuringCashOutOutsizedDays: number
  readonly segments: Readonly<Record<Segment, SegmentParams>>
}

export const DEFAULT_PARAMS: TypologyParams = {
  fanOutMinPayment: 100_000,
  fanOutTracedMinAmount: 200_000,
  fanOutTracedShare: 0.6,
  fanOutTracedSpread: 0.3,
  cycleMinAmount: 100_000,
  passThroughShare: 0.8,
  passThroughOnePaymentShare: 0.8,
  passThroughColdStartDays: PRIOR_DAYS,
  passThroughHours: 96,
  passThroughMaxPaymentShare: 1.1,
  passThroughMatchedHours: 72,
  networkMinAmount: 100_000,
  networkShare: 0.8,
  roundMinAmount: 200_000,
  roundPriorCount: 2,
  roundPairShare: 0.7,
  dormantDays: 45,
  dormantMinAmount: 200_000,
  highRiskOutShare: 1,
  highRiskInMinAmount: 250_000,
  velocityPayees: 6,
  velocityNewPayees: 4,
  // session 43: busy days of three transfers to friends (docs/monitoring.md, session 43)
  velocityDevicePaymentsToKnown: 4,
  velocitySpreadAmount: 4,
  velocitySpreadKnownDays: 30,
  velocityUnseenAmount: 4,
  velocityUnseenKnownDays: 14,
  muleMaxAgeDays: 60,
  muleSenders: 3,
  muleMinSum: 50_000,
  muleQuietEvents: 5,
  muleCashOutShare: 0.35,
  muleNotFromCompanies: 1,
  fanInMinObservedDays: 14,
  fanInMinPaymentShare: 0.05,
  fanInMonthObservedDays: 60,
  fanOutTracedObservedDays: 44,
  fanInMonthPaymentShare: 0.05,
  fanInMonthSurge: 2,
  fanInPersonPaymentShare: 0.02,
  fanInPersonShare: 0.25,
  fanInBurstPersons: 5,
  fanInBurstPrior: 1,
  fanInBurstShare: 0.1,
  fanInBurstWatchedDays: 21,
  structuringWeekDeposits: 3,
  structuringWeekShare: 1,
  structuringMonthDeposits: 4,
  structuringMonthShare: 2,
  structuringUnusualDeposits: 2,
  structuringCashOutSum: 0.8,
  structuringCashOutShare: 0.6,
  structuringCashOutMaxDeposits: 3,
  structuringCashOutMaxPaymentShare: 1.5,
  structuringCashOutWatchedDays: 0,
  structuringCashOutCover: 0.5,
  structuringCashOutNonCashShare: 0.5,
  structuringCashOutOutsizedDays: 21,
  segments: {
    individual: {
      structuringBand: 0.5,
      structuringSpread: 1,
      structuringUnusualBand: 0,
      structuringCashOutOutsized: 0,
      fanInSenders: 3,
      fanInMinSum: 300_000,
      fanInSurge: 0,
      fanInPersons: 0,
      fanOutRecipients: 4,
      fanOutMinSum: 800_000,
      fanOutTracedPayees: 3,
      passThroughMinAmount: 400_000,
      passThroughMaxPriorDays: -1,
      passThroughMaxInflowDaysAbroad: -1,
      passThroughPriorAbroadHours: 0,
      passThroughHours: 192,
      passThroughTransitHours: 0,
      passThroughMatchedShare: 0,
      velocityDevicePayments: 3,
      // opt-in (session 23): on `classic` it added 8 innocent customers (Black Friday and busy
      // weeks whose tickets outgrew the usual payment); set 5 to use it
      velocitySpreadPayees: 0,
      // session 30: payments to strangers nobody had paid (tuning_spread: velocity recall 70.8 → 100 %)
      velocityUnseenPayees: 4,
    },
    business: {
      structuringBand: 0.5,
      structuringSpread: 0,
      // session 21: a third of structuring schemes sat in business accounts, split below the band
      structuringUnusualBand: 0.3,
      structuringCashOutOutsized: 1.5,
      // no "many new senders" rule for businesses since session 20: a business's customers are new
      // senders every week, and client companies' payments passed to staff or suppliers (a payroll
      // bureau, a wholesaler) read as a surge of them every month; gathering through a business is
      // judged on what people new to it paid it (`fanInPersons`)
      fanInSenders: 0,
      fanInMinSum: 300_000,
      fanInSurge: 3,
      fanInPersons: 3,
      fanOutRecipients: 0,
      fanOutMinSum: 0,
      fanOutTracedPayees: 0,
      passThroughMinAmount: 400_000,
      passThroughMaxPriorDays: 0,
      // up to 3 earlier rounds when the money goes abroad within a week (session 25)
      passThroughMaxInflowDaysAbroad: 3,
      passThroughPriorAbroadHours: 168,
      passThroughHours: 0,
      passThroughTransitHours: 336,
      passThroughMatchedShare: 0.8,
      velocityDevicePayments: 0,
      velocitySpreadPayees: 0,
      velocityUnseenPayees: 0,
    },
    merchant: {
      structuringBand: 0,
      structuringSpread: 0,
      structuringUnusualBand: 0,
      structuringCashOutOutsized: 0,
      fanInSenders: 0,
      fanInMinSum: 0,
      fanInSurge: 0,
      fanInPersons: 0,
      fanOutRecipients: 0,
      fanOutMinSum: 0,
      fanOutTracedPayees: 0,
      passThroughMinAmount: 0,
      passThroughMaxPriorDays: -1,
      passThroughMaxInflowDaysAbroad: -1,
      passThroughPriorAbroadHours: 0,
      passThroughHours: 0,
      passThroughTransitHours: 0,
      passThroughMatchedShare: 0,
      velocityDevicePayments: 0,
      velocitySpreadPayees: 0,
      velocityUnseenPayees: 0,
    },
  },
}

/** A payment from one country to another (both known). */
const PAYS_ABROAD = 'txn.src_country != "" && txn.dst_country != "" && txn.dst_country != txn.src_country'
const d = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x))
const SEGMENTS: readonly Segment[] = ['individual', 'business', 'merchant']
/** The individual rule keeps the historical id; other segments get a suffix. */
const sid = (id: string, seg: Segment): string => (seg === 'individual' ? id : `${id}.${seg}`)

/** The cash-moved-on rule's optional limits: the payment's size against the cash, a month watched. */
function cashOutLimits(p: TypologyParams): string {
  const limits = [
    p.structuringCashOutMaxPaymentShare > 0
      ? `double(txn.amount) <= ${d(p.structuringCashOutMaxPaymentShare)} * src.cash_in_sum_30d`
      : '',
    p.structuringCashOutWatchedDays > 0 ? `txn.watched_days >= ${d(p.structuringCashOutWatchedDays)}` : '',
  ]
  return limits
    .filter((c) => c !== '')
    .map((c) => `\n        && ${c}`)
    .join('')
}

/** Segment-specific detection rules, one per segment whose parameters enable it. */
function segmentRules(seg: Segment, s: SegmentParams, p: TypologyParams): RuleDef[] {
  const rules: RuleDef[] = []
  const who = seg === 'individual' ? 'a personal' : `a ${seg}`
  if (s.structuringBand > 0)
    rules.push({
      id: sid('structuring.cash_below_threshold', seg),
      typology: 'structuring',
      subject: 'dst',
      description: `Cash deposits to ${who} account just below the currency's reporting threshold, another in the last 7 days.`,
      when: `txn.kind == "cash_deposit" && dst_party.segment == "${seg}"
        && double(txn.amount) >= ${d(s.structuringBand)} * txn.report_threshold && double(txn.amount) < txn.report_threshold
        && dst.in_max_7d >= ${d(s.structuringBand)} * txn.report_threshold && dst.in_max_7d < txn.report_threshold`,
      outcome: 'review',
      score: 40,
      reason: 'Repeated cash deposits just below the reporting threshold',
    })
  if (s.structuringSpread > 0)
    rules.push({
      id: sid('structuring.cash_spread', seg),
      typology: 'structuring',
      subject: 'dst',
      description: `Cash deposits to ${who} account, each below the currency's reporting threshold, that together pass it within 7 days (or twice it within 30 days, over more deposits).`,
      when: `txn.kind == "cash_deposit" && dst_party.segment == "${seg}" && double(txn.amount) < txn.report_threshold
        && dst.cash_in_max_30d < txn.report_threshold
        && ((dst.cash_in_count_7d + 1.0 >= ${d(p.structuringWeekDeposits)}
             && dst.cash_in_sum_7d + double(txn.amount) >= ${d(p.structuringWeekShare)} * txn.report_threshold)
          || (dst.cash_in_count_30d + 1.0 >= ${d(p.structuringMonthDeposits)}
             && dst.cash_in_sum_30d + double(txn.amount) >= ${d(p.structuringMonthShare)} * txn.report_threshold))`,
      outcome: 'review',
      score: 40,
      reason: 'Cash deposits below the reporting threshold adding up past it over days',
    })
  // Only where the spread rule is on (personal accounts): a business's cash takings add up by design
  if (s.structuringSpread > 0 && p.structuringCashOutShare > 0)
    rules.push({
      id: sid('structuring.cash_moved_on', seg),
      typology: 'structuring',
      subject: 'src',
      description: `${who} account paying a new counterparty at least ${Math.round(100 * p.structuringCashOutShare)} % of the cash paid into it in 30 days, in two to ${p.structuringCashOutMaxDeposits} deposits, each below the currency's reporting threshold and together at least ${Math.round(100 * p.structuringCashOutSum)} % of it${p.structuringCashOutMaxPaymentShare > 0 ? `; the payment at most ${p.structuringCashOutMaxPaymentShare} times that cash` : ''}${p.structuringCashOutWatchedDays > 0 ? `; once the store has watched ${p.structuringCashOutWatchedDays} days` : ''}.`,
      when: `src_party.segment == "${seg}" && !txn.same_owner && src.new_counterparty
        && txn.kind != "cash_withdrawal" && txn.kind != "card"
        && src.cash_in_count_30d >= 2.0 && src.cash_in_count_30d <= ${d(p.structuringCashOutMaxDeposits)}
        && src.cash_in_max_30d < txn.report_threshold
        && src.cash_in_sum_30d >= ${d(p.structuringCashOutSum)} * txn.report_threshold
        && double(txn.amount) >= ${d(p.structuringCashOutShare)} * src.cash_in_sum_30d${cashOutLimits(p)}`,
      outcome: 'review',
      score: 40,
      reason: 'Cash deposited below the reporting threshold, then moved on to someone new',
    })
  if (s.structuringCashOutOutsized > 0 && p.structuringCashOutCover > 0)
    rules.push({
      id: sid('structuring.cash_moved_on_outsized', seg),
      typology: 'structuring',
      subject: 'src',
      description: `${who} account paying a new counterparty at least the currency's reporting threshold and ${s.structuringCashOutOutsized} times its largest payment of the 90 days before, ${Math.round(100 * p.structuringCashOutCover)} % of it covered by the cash paid into the account in 30 days and less than ${Math.round(100 * p.structuringCashOutNonCashShare)} % by its other inflows; once the store has watched ${p.structuringCashOutOutsizedDays} days.`,
      when: `src_party.segment == "${seg}" && !txn.same_owner && src.new_counterparty
        && txn.kind != "cash_withdrawal" && txn.kind != "card"
        && double(txn.amount) >= txn.report_threshold
        && double(txn.amount) >= ${d(s.structuringCashOutOutsized)} * src.out_max_90d
        && src.cash_in_sum_30d >= ${d(p.structuringCashOutCover)} * double(txn.amount)
        && src.in_sum_30d - src.cash_in_sum_30d < ${d(p.structuringCashOutNonCashShare)} * double(txn.amount)
        && txn.watched_days >= ${d(p.structuringCashOutOutsizedDays)}`,
      outcome: 'review',
      score: 40,
      reason: 'Cash paid in among the takings, then moved on in a payment unlike any before',
    })
  if (s.structuringUnusualBand > 0)
    rules.push({
      id: sid('structuring.cash_unusual', seg),
      typology: 'structuring',
      subject: 'dst',
      description: `Cash deposits to ${who} account within 7 days, each below the currency's reporting threshold but near it and outsized for the account (1.5 times its largest deposit of the month before the week), that together pass the threshold.`,
      when: `txn.kind == "cash_deposit" && dst_party.segment == "${seg}" && double(txn.amount) < txn.report_threshold
        && double(txn.amount) >= ${d(s.structuringUnusualBand)} * txn.report_threshold
        && double(txn.amount) >= ${d(CASH_OUTSIZED)} * dst.cash_in_usual && dst.cash_in_max_30d < txn.report_threshold
        && dst.cash_in_outsized_count_7d + 1.0 >= ${d(p.structuringUnusualDeposits)}
        && dst.cash_in_outsized_sum_7d + double(txn.amount) >= txn.report_threshold
        && txn.watched_days >= ${d(p.fanInMinObservedDays)}`,
      outcome: 'review',
      score: 40,
      reason: "Cash deposits near the reporting threshold, unlike the account's own cash",
    })
  // A sender is "new" against what the store watched: until it has watched a month and the week
  // (or the account's whole life) a monthly salary or a parent's transfer is new on its first day,
  // so then it takes two senders more (session 42: on tuning_rails most of the rule's innocent
  // alerts were such cold starts; 95 -> 20 customers alerted, no fan-in case lost)
  if (s.fanInSenders > 0)
    rules.push({
      id: sid('fan_in.many_senders', seg),
      typology: 'fan_in',
      subject: 'src',
      description: `${who} account moving on most of what many NEW senders paid it within 7 days (over any rail, in one or several payments); senders who already paid it before the week (tenants, payroll, regular clients) are an established relationship, not gathering; until the store has watched a month, ${s.fanInSenders + 2} of them (a monthly salary looks new on the first payday watched).`,
      when: `!txn.same_owner && src_party.segment == "${seg}"
        && src.in_new_distinct_7d >= ${d(s.fanInSenders)} && src.in_sum_7d >= ${d(s.fanInMinSum)}
        && txn.kind != "card" && double(txn.amount) >= ${d(p.fanInMinPaymentShare)} * src.in_sum_7d
        && src.out_sum_7d + double(txn.amount) >= 0.7 * src.in_sum_7d && src.new_counterparty
        && src.age_days >= ${d(p.fanInMinObservedDays)}
        && (txn.watched_days >= 37.0 || txn.watched_days >= src_party.age_days || src.in_new_distinct_7d >= ${d(s.fanInSenders + 2)})${
          s.fanInSurge > 0
            ? `
        && src.in_sum_7d - src.in_max_7d >= ${d(s.fanInSurge)} * 7.0 * (src.in_sum_30d - src.in_sum_7d)
           / (src.age_days >= 30.0 ? 23.0 : src.age_days - 7.0)`
            : ''
        }`,
      outcome: 'review',
      score: 35,
      reason: 'Funds gathered from many senders and moved on',
    })
  if (s.fanInSenders > 0 && p.fanInMonthObservedDays > 0)
    rules.push({
      id: sid('fan_in.many_senders_30d', seg),
      typology: 'fan_in',
      subject: 'src',
      description: `${who} account moving on most of what many NEW senders paid it within 30 days, beyond its largest single inflow (senders spread over weeks, money held for days before it leaves).`,
      when: `!txn.same_owner && src_party.segment == "${seg}"
        && src.in_new_distinct_30d >= ${d(s.fanInSenders)} && src.in_sum_30d - src.in_max_30d >= ${d(s.fanInMinSum)}
        && txn.kind != "card" && double(txn.amount) >= ${d(p.fanInMonthPaymentShare)} * src.in_sum_30d
        && src.out_sum_30d + double(txn.amount) >= 0.7 * src.in_sum_30d && src.new_counterparty
        && src.age_days >= ${d(p.fanInMonthObservedDays)}${
          Math.max(s.fanInSurge, p.fanInMonthSurge) > 0
            ? `
        && src.in_sum_30d - src.in_max_30d >= ${d(Math.max(s.fanInSurge, p.fanInMonthSurge))} * 30.0 * (src.in_sum_90d - src.in_sum_30d)
           / (src.age_days >= 90.0 ? 60.0 : src.age_days - 30.0)`
            : ''
        }`,
      outcome: 'review',
      score: 35,
      reason: 'Funds gathered from many senders over weeks and moved on',
    })
  if (s.fanInPersons > 0)
    rules.push({
      id: sid('fan_in.many_people', seg),
      typology: 'fan_in',
      subject: 'src',
      description: `${who} account moving on what many individuals NEW to it paid it within 30 days, each a sizeable sum for this account (≥ 10 × its usual inflow): its own customers pay it small sums, and client companies' payments are not counted.`,
      when: `!txn.same_owner && src_party.segment == "${seg}"
        && src.person_in_count_30d >= ${d(s.fanInPersons)} && src.person_in_sum_30d >= ${d(s.fanInMinSum)}
        && src.person_in_sum_30d >= ${d(p.fanInPersonShare)} * src.in_sum_30d
        && txn.kind != "card" && double(txn.amount) >= ${d(p.fanInPersonPaymentShare)} * src.person_in_sum_30d
        && src.out_sum_30d + double(txn.amount) >= 0.7 * src.person_in_sum_30d && src.new_counterparty
        && src.age_days >= ${d(p.fanInMinObservedDays)}`,
      outcome: 'review',
      score: 35,
      reason: 'Funds gathered from many people and moved on',
    })
  if (s.fanInPersons > 0 && p.fanInBurstPersons > 0)
    rules.push({
      id: sid('fan_in.people_burst', seg),
      typology: 'fan_in',
      subject: 'src',
      description: `${who} account moving on what a burst of individuals NEW to it paid it within 14 days, each a sizeable sum for this account (≥ 10 × its usual inflow), after hardly any such payer in the 16 days before: at least ${Math.round(p.fanInBurstShare * 100)} % of the month's inflow, as a busy account's client wires and takings would hide the scheme from the month rule.`,
      when: `!txn.same_owner && src_party.segment == "${seg}"
        && src.person_in_count_14d >= ${d(p.fanInBurstPersons)} && src.person_in_sum_14d >= ${d(s.fanInMinSum)}
        && src.person_in_count_30d - src.person_in_count_14d <= ${d(p.fanInBurstPrior)}
        && src.person_in_sum_14d >= ${d(p.fanInBurstShare)} * src.in_sum_30d
        && txn.kind != "card" && double(txn.amount) >= ${d(p.fanInPersonPaymentShare)} * src.person_in_sum_14d
        && src.out_sum_30d + double(txn.amount) >= 0.7 * src.person_in_sum_14d && src.new_counterparty
        && src.age_days >= ${d(p.fanInMinObservedDays)} && txn.watched_days >= ${d(p.fanInBurstWatchedDays)}`,
      outcome: 'review',
      score: 35,
      reason: 'Funds gathered from a burst of people new to the account and moved on',
    })
  if (s.fanOutRecipients > 0)
    rules.push({
      id: sid('fan_out.many_recipients', seg),
      typology: 'fan_out',
      subject: 'src',
      description: `${who} account paying many distinct recipients sizeable amounts within 48 hours.`,
      when: `!txn.same_owner && src_party.segment == "${seg}" && txn.amount >= ${p.fanOutMinPayment}
        && src.out_distinct_48h >= ${d(s.fanOutRecipients)} && src.out_sum_48h >= ${d(s.fanOutMinSum)}`,
      outcome: 'review',
      score: 35,
      reason: 'Funds dispersed to many recipients',
    })
  if (s.fanOutTracedPayees > 0)
    rules.push({
      id: sid('fan_out.traced_inflow', seg),
      typology: 'fan_out',
      subject: 'src',
      description: `${who} account scattering one large inflow from a sender new to it to many payees it had never paid, shared out among them (not one purchase), in payments of any size over up to 14 days (any rail but card).`,
      when: `!txn.same_owner && src_party.segment == "${seg}" && src.new_counterparty
        && (txn.kind == "transfer" || txn.kind == "wire" || txn.kind == "ach")
        && src.flow_in_amount >= ${d(p.fanOutTracedMinAmount)} && src.flow_in_new_sender && src.flow_in_after <= 0.0
        && (src.flow_in_cross_border || src.age_days >= ${d(p.fanOutTracedObservedDays)})
        && src.flow_out_new_payments >= ${d(s.fanOutTracedPayees)} && src.flow_out_new_share >= ${d(p.fanOutTracedShare)}
        && src.flow_out_new_share - src.flow_out_new_top_share >= ${d(p.fanOutTracedSpread)}
        && src.age_days >= ${d(p.fanInMinObservedDays)}`,
      outcome: 'review',
      score: 35,
      reason: 'One inflow scattered to many new payees',
    })
  const within = s.passThroughHours > 0 ? s.passThroughHours : p.passThroughHours
  const hours =
    s.passThroughTransitHours > within
      ? `(src.flow_hours <= ${d(within)} || (src.flow_hours <= ${d(s.passThroughTransitHours)} && (${PAYS_ABROAD} || (src.flow_in_cross_border && src.flow_out_abroad))))`
      : `src.flow_hours <= ${d(within)}`
  // Unlike the account's routine: no comparable inflow in the 60 days before the traced one and none
  // after it (a wholesaler's next client wire finishing off the last one). When the money goes
  // abroad within the week, a few of either are allowed (session 25: a scheme's own earlier rounds;
  // session 33: its next round, or a client wire, arriving while this one is still being passed on)
  const unlikePrior =
    s.passThroughMaxInflowDaysAbroad > s.passThroughMaxPriorDays
      ? `((src.flow_in_prior_days <= ${d(s.passThroughMaxPriorDays)} && src.flow_in_after <= 0.0) || (src.flow_in_prior_days <= ${d(s.passThroughMaxInflowDaysAbroad)} && src.flow_in_after <= ${d(s.passThroughMaxInflowDaysAbroad)} && src.flow_hours <= ${d(s.passThroughPriorAbroadHours)} && (${PAYS_ABROAD} || src.flow_out_abroad)))`
      : `src.flow_in_prior_days <= ${d(s.passThroughMaxPriorDays)} && src.flow_in_after <= 0.0`
  // No prior inflow means nothing while the store has watched less than those 60 days of an account
  // older than that (the client wires of a business before the store started are unseen): then the
  // money must leave abroad (session 42: on the tuning sets the business rule's innocent alerts were
  // mostly such cold starts, a client wire from abroad passed to a home supplier)
  const unlikeRoutine = `${unlikePrior}
        && (txn.watched_days >= ${d(Math.min(p.passThroughColdStartDays, PRIOR_DAYS))} || txn.watched_days >= src_party.age_days || ${PAYS_ABROAD} || src.flow_out_abroad)`
  const passedOn =
    p.passThroughOnePaymentShare > 0
      ? `(src.flow_out_share >= ${d(p.passThroughShare)} || double(txn.amount) >= ${d(p.passThroughOnePaymentShare)} * src.flow_in_amount)`
      : `src.flow_out_share >= ${d(p.passThroughShare)}`
  if (s.passThroughMinAmount > 0)
    rules.push({
      id: sid('pass_through.rapid', seg),
      typology: 'pass_through',
      subject: 'src',
      description: `Most of a large inflow to ${who} account leaves again within days, in one or several payments, over any rail, with a border crossed on the way in or out; the payment is no larger than the inflow (spending savings is not passing money on)${s.passThroughMaxPriorDays >= 0 ? ", and the inflow is unlike the account's last 60 days (until the store has watched those days of an older account, the money must also leave abroad)" : ''}.`,
      when: `!txn.same_owner && src_party.segment == "${seg}" && src.flow_in_amount >= ${d(s.passThroughMinAmount)}
        && ${passedOn} && ${hours} && src.new_counterparty
        && double(txn.amount) <= ${d(p.passThroughMaxPaymentShare)} * src.flow_in_amount
        && (src.flow_in_cross_border || (${PAYS_ABROAD}))${
          s.passThroughMaxPriorDays >= 0
            ? `
        && ${unlikeRoutine} && src.age_days >= ${d(p.fanInMinObservedDays)}`
            : ''
        }`,
      outcome: 'review',
      score: 35,
      reason: 'Rapid pass-through of a large inflow',
    })
  if (s.passThroughMatchedShare > 0 && s.passThroughMinAmount > 0)
    rules.push({
      id: sid('pass_through.matched', seg),
      typology: 'pass_through',
      subject: 'src',
      description: `A large inflow to ${who} account from a sender new to it, followed within ${d(p.passThroughMatchedHours)} hours by payments to payees new to the account of most of its amount, in one or several payments each about its size or smaller, whatever the account's balance, this one abroad; no comparable inflow arrived since (at home the same is a wholesaler paying a new client's wire to new suppliers).`,
      // the inflow this payment follows, not the largest traced one: a client's wire of days before
      // is what first in first out charges the payment to (session 52)
      when: `!txn.same_owner && src_party.segment == "${seg}" && src.new_counterparty
        && (txn.kind == "transfer" || txn.kind == "wire" || txn.kind == "ach")
        && src.fresh_in_amount >= ${d(s.passThroughMinAmount)} && src.fresh_in_new_sender
        && src.fresh_out_new_share >= ${d(s.passThroughMatchedShare)} && src.fresh_hours <= ${d(p.passThroughMatchedHours)}
        && src.fresh_in_after <= 0.0 && ${PAYS_ABROAD}
        && src.age_days >= ${d(p.fanInMinObservedDays)}`,
      outcome: 'review',
      score: 35,
      reason: "A stranger's inflow paid on to new payees within days, abroad",
    })
  if (s.velocityDevicePayments > 0)
    rules.push({
      id: sid('velocity.spike', seg),
      typology: 'velocity_spike',
      subject: 'src',
      description: `${who} account making many online payments to many distinct payees within 24 hours, most of them new to it, once the store has watched its usual payees${p.velocityDevicePaymentsToKnown > s.velocityDevicePayments ? `; at the least number of online payments, two of the last two days' payments went to accounts nobody had dealt with` : ''}.`,
      // "new" payees mean nothing in the store's first days: every friend, shop and landlord is new
      // then (session 19: most of the spike's innocent alerts on the tuning data fell there).
      // Session 43: the remaining innocent alerts were busy days at the least number of online
      // payments (transfers to friends, who are other customers, beside card purchases); an
      // account being emptied pays more, or pays strangers (velocityDevicePaymentsToKnown)
      when: `txn.kind != "card" && src_party.segment == "${seg}" && device.out_count_24h >= ${d(s.velocityDevicePayments)}
        && src.out_distinct_24h >= ${d(p.velocityPayees)}${p.velocityNewPayees > 0 ? ` && src.out_new_distinct_24h >= ${d(p.velocityNewPayees)} && txn.watched_days >= ${d(p.fanInMinObservedDays)}` : ''}${
          p.velocityDevicePaymentsToKnown > s.velocityDevicePayments
            ? `
        && (device.out_count_24h >= ${d(p.velocityDevicePaymentsToKnown)}
          || src.unseen_out_count_48h + (dst.history_count == 0.0 ? 1.0 : 0.0) >= 2.0)`
            : ''
        }`,
      outcome: 'review',
      score: 30,
      reason: 'Spike in outgoing payment velocity',
    })
  if (s.velocitySpreadPayees > 0)
    rules.push({
      id: sid('velocity.new_payees_48h', seg),
      typology: 'velocity_spike',
      subject: 'src',
      description: `${who} account paying many payees new to it within 48 hours, by card or transfer, at home (a trip abroad is new shops by nature), in payments averaging several times its usual one, once the store has known the account for a month.`,
      when: `src_party.segment == "${seg}" && txn.kind != "cash_withdrawal" && src.new_counterparty
        && (txn.dst_country == "" || txn.dst_country == src_party.country)
        && src.out_new_distinct_48h + 1.0 >= ${d(s.velocitySpreadPayees)}
        && src.age_days >= ${d(p.velocitySpreadKnownDays)} && txn.watched_days >= ${d(p.fanInMinObservedDays)}
        && src.out_sum_48h + double(txn.amount) >= ${d(p.velocitySpreadAmount)} * (src.out_count_48h + 1.0) * src.usual_amount`,
      outcome: 'review',
      score: 30,
      reason: 'Many new payees within two days, in unusually large payments',
    })
  if (s.velocityUnseenPayees > 0)
    rules.push({
      id: sid('velocity.unseen_payees', seg),
      typology: 'velocity_spike',
      subject: 'src',
      description: `${who} account paying, by card or transfer, several payees nobody had dealt with before (accounts opened for the purpose, not shops other customers use), at home, in payments averaging several times its usual one, once the store has known the account for two weeks.`,
      when: `src_party.segment == "${seg}" && !txn.same_owner && txn.kind != "cash_withdrawal" && dst.history_count == 0.0
        && (txn.dst_country == "" || txn.dst_country == src_party.country)
        && src.age_days >= ${d(p.velocityUnseenKnownDays)} && txn.watched_days >= ${d(p.fanInMinObservedDays)}
        && src.unseen_out_count_48h + 1.0 >= ${d(s.velocityUnseenPayees)}
        && src.unseen_out_sum_48h + double(txn.amount) >= ${d(p.velocityUnseenAmount)} * (src.unseen_out_count_48h + 1.0) * src.usual_amount`,
      outcome: 'review',
      score: 30,
      reason: 'Payments to several never-seen payees within days, unusually large',
    })
  return rules
}

/** A payment leaving in cash or abroad: how mules pay on. */
const CASH_OR_ABROAD = `(txn.kind == "cash_withdrawal" || ${PAYS_ABROAD})`

/**
 * The mule rules' senders and sum: several senders, and what they paid beyond the single largest
 * inflow; since session 23 (`muleNotFromCompanies`) neither counting companies nor their payments.
 */
const muleSenders = (e: 'src' | 'dst', p: TypologyParams): string =>
  p.muleNotFromCompanies > 0
    ? `${e}.in_distinct_7d - ${e}.company_in_count_7d >= ${d(p.muleSenders)}
        && ${e}.in_sum_7d - ${e}.company_in_sum_7d - ${e}.in_max_7d >= ${d(p.muleMinSum)}`
    : `${e}.in_distinct_7d >= ${d(p.muleSenders)} && ${e}.in_sum_7d - ${e}.in_max_7d >= ${d(p.muleMinSum)}`

/**
 * Two large round payments in a month (session 48): a scheme of only two payments never makes the
 * third that round_amounts.repeated needs. Two round payments are household life when one is a few
 * thousand (a landlord's monthly repairs, a savings transfer beside a car bought outright), so both
 * must be large: this one round, and some payment of the last 30 days as large, beside a round one
 * in four weeks (the windows record no largest round payment of their own).
 */
function roundPairRules(p: TypologyParams): RuleDef[] {
  if (p.roundPairShare <= 0) return []
  const large = `${d(p.roundPairShare)} * txn.report_threshold`
  return [
    {
      id: 'round_amounts.large_pair',
      typology: 'round_amounts',
      subject: 'src',
      description: `A second large round-amount payment within four weeks from a personal account: this one and an earlier payment of the last 30 days each at least ${Math.round(100 * p.roundPairShare)} % of the currency's cash reporting threshold, not a monthly payment to a payee last paid 20-40 days before.`,
      when: `txn.round && double(txn.amount) >= ${large} && src_party.segment == "individual"
        && !src.monthly_counterparty && src.round_out_count_4w >= 1.0 && src.out_max_30d >= ${large}`,
      outcome: 'review',
      score: 25,
      reason: 'Two large round-amount payments in a month',
    },
  ]
}

/** Detection rules: each fires an alert (review) about the account named by `subject`. */
export function typologyRules(p: TypologyParams = DEFAULT_PARAMS): RuleDef[] {
  return [
    ...SEGMENTS.flatMap((seg) => segmentRules(seg, p.segments[seg], p)),
    {
      id: 'cycle.closed_loop',
      typology: 'cycle',
      subject: 'src',
      description: `A payment (any rail) of ${p.cycleMinAmount.toLocaleString('en-US')} minor units or more (${(p.cycleMinAmount / 100).toLocaleString('en-US')} in a two-decimal currency such as USD) that returns money to an account it came from through 2 to 11 hops (each hop held up to 21 days, 90 days in all).`,
      when: `txn.cycle_len >= 3.0 && txn.amount >= ${p.cycleMinAmount}`,
      outcome: 'review',
      score: 50,
      reason: 'Money returned to its origin through a chain of accounts',
    },
    {
      id: 'round_amounts.repeated',
      typology: 'round_amounts',
      subject: 'src',
      description:
        'A third (or later) large round-amount payment within four weeks from a personal account, not a monthly payment to a payee last paid 20-40 days before.',
      // Four weeks, not 30 days (session 41): a 30-day window holds two of any monthly habit (a
      // landlord's round payment each month to whoever, beside one one-off, alerted). The prior
      // payments already leave out standing orders (features.ts record); the payment itself must
      // too, or a rent paid on the first of the month after two round one-offs fires.
      when: `txn.round && txn.amount >= ${p.roundMinAmount} && src_party.segment == "individual"
        && !src.monthly_counterparty && src.round_out_count_4w >= ${d(p.roundPriorCount)}`,
      outcome: 'review',
      score: 25,
      reason: 'Repeated large round-amount payments',
    },
    ...roundPairRules(p),
    {
      id: 'dormant.reactivation_in',
      typology: 'dormant_reactivation',
      subject: 'dst',
      description: 'A large credit to an account silent for a long time.',
      when: `dst_party.known && !txn.same_owner && txn.amount >= ${p.dormantMinAmount} && dst.days_since_last >= ${d(p.dormantDays)}`,
      outcome: 'review',
      score: 30,
      reason: 'Dormant account reactivated with a large credit',
    },
    {
      id: 'dormant.reactivation_out',
      typology: 'dormant_reactivation',
      subject: 'src',
      description: 'A large debit from an account silent for a long time.',
      when: `src_party.known && !txn.same_owner && txn.amount >= ${p.dormantMinAmount} && src.days_since_last >= ${d(p.dormantDays)}`,
      outcome: 'review',
      score: 30,
      reason: 'Dormant account reactivated with a large debit',
    },
    {
      id: 'high_risk.jurisdiction_out',
      typology: 'high_risk_jurisdiction',
      subject: 'src',
      description:
        "A payment to a high-risk country at or above a share of the currency's reporting threshold (a family remittance stays below it).",
      when: `in_list("high_risk_countries", txn.dst_country) && double(txn.amount) >= ${d(p.highRiskOutShare)} * txn.report_threshold`,
      outcome: 'review',
      score: 30,
      reason: 'Sizeable payment to a high-risk jurisdiction',
    },
    {
      id: 'high_risk.jurisdiction_in',
      typology: 'high_risk_jurisdiction',
      subject: 'dst',
      description: 'A sizeable payment from a high-risk country.',
      when: `in_list("high_risk_countries", txn.src_country) && txn.amount >= ${p.highRiskInMinAmount}`,
      outcome: 'review',
      score: 30,
      reason: 'Sizeable payment from a high-risk jurisdiction',
    },
    {
      id: 'mule.new_account_collects',
      typology: 'mule',
      subject: 'dst',
      description: 'A recently opened account receiving from several distinct senders.',
      when: `!txn.same_owner && dst_party.known && dst_party.segment != "merchant" && dst_party.age_days < ${d(p.muleMaxAgeDays)}
        && ${muleSenders('dst', p)}`,
      outcome: 'review',
      score: 40,
      reason: 'New account collecting funds from several senders (possible money mule)',
    },
    {
      id: 'mule.new_account_drains',
      typology: 'mule',
      subject: 'src',
      description: 'A recently opened account sending on what it just received from several senders.',
      when: `!txn.same_owner && src_party.known && src_party.segment != "merchant" && src_party.age_days < ${d(p.muleMaxAgeDays)}
        && ${muleSenders('src', p)}
        && src.out_sum_7d + double(txn.amount) >= 0.5 * src.in_sum_7d`,
      outcome: 'review',
      score: 40,
      reason: 'New account moving on funds from several senders (possible money mule)',
    },
    ...(p.muleQuietEvents >= 0
      ? [
          {
            id: 'mule.quiet_account_drains',
            typology: 'mule',
            subject: 'src' as const,
            description: `An account of any age, almost unused before this week (or before this month), sending on what it just received from several senders: half of it, or ${Math.round(100 * p.muleCashOutShare)} % when the payment leaves in cash or abroad.`,
            // session 42: "before this month" too, once the store has watched that month and two weeks
            // before it: a mule paying on over days had its first inflows, older than the week,
            // counted as its past (tuning_mule: one more case, no innocent customer more on any tuning set)
            when: `!txn.same_owner && src_party.known && src_party.segment != "merchant"
        && txn.watched_days >= ${d(p.fanInMinObservedDays)}
        && (src.history_count - src.all_count_7d <= ${d(p.muleQuietEvents)}
          || txn.watched_days >= ${d(30 + p.fanInMinObservedDays)} && src.history_count - src.all_count_30d <= ${d(p.muleQuietEvents)})
        && ${muleSenders('src', p)}
        && (src.out_sum_7d + double(txn.amount) >= 0.5 * src.in_sum_7d
          || src.out_sum_7d + double(txn.amount) >= ${d(p.muleCashOutShare)} * src.in_sum_7d && ${CASH_OR_ABROAD})`,
            outcome: 'review' as const,
            score: 40,
            reason: 'Account unused until now moving on funds from several senders (possible money mule)',
          },
        ]
      : []),
    {
      id: 'network.passes_on_alerted_funds',
      typology: 'layering',
      subject: 'src',
      description:
        'Most of what the account received over the last 72 hours from accounts alerted on in the two weeks before (by any rule, or the model) leaves it again, by any rail but card: a layer of a network whose other accounts look ordinary.',
      when: `!txn.same_owner && txn.kind != "card" && src.alerted_in_72h >= ${d(p.networkMinAmount)}
        && src.alerted_in_passed + double(txn.amount) >= ${d(p.networkShare)} * src.alerted_in_72h`,
      outcome: 'review',
      score: 35,
      reason: 'Passes on money received from an alerted account',
    },
    {
      id: 'watchlist.counterparty',
      typology: 'watchlist',
      subject: 'src',
      description: 'A payment to an account on the watchlist.',
      when: `in_list("watchlist", txn.dst) || in_list("watchlist", txn.src)`,
      outcome: 'block',
      score: 100,
      reason: 'Counterparty on the watchlist',
    },
  ]
}

/**
 * Risk-scoring rules (outcome allow): they add to the decision's score for prioritisation but do
 * not raise alerts on their own. They exercise every kind of feature: short and long windows,
 * customers, devices, cards, history.
 */
export function scoringRules(): RuleDef[] {
  const r = (id: string, when: string, score: number, reason: string): RuleDef => ({
    id: `score.${id}`,
    when,
    outcome: 'allow',
    score,
    reason,
  })
  return [
    r('large_amount', 'txn.amount >= 1000000', 10, 'Large amount'),
    r('amount_z_out', 'src.amount_z > 3.0', 8, 'Amount unusual for the payer'),
    r('amount_z_in', 'dst.amount_z > 3.0', 6, 'Amount unusual for the payee'),
    r(
      'new_cp_large',
      'txn.amount >= 200000 && src.new_counterparty',
      6,
      'Large payment to a new counterparty',
    ),
    r(
      'new_cp_in_large',
      'txn.amount >= 500000 && dst.new_counterparty',
      5,
      'Large credit from a new counterparty',
    ),
    r('night', 'txn.hour < 5.0 && txn.amount >= 50000', 3, 'Night-time payment'),
    r(
      'cross_border',
      'txn.amount >= 100000 && src_party.known && txn.dst_country != src_party.country',
      4,
      'Cross-border payment',
    ),
    r('card_burst', 'card.out_count_1h >= 5.0', 6, 'Card used many times within an hour'),
    r('device_burst', 'device.out_count_24h >= 20.0', 6, 'Device used for many payments in a day'),
    r(
      'customer_daily_volume',
      'src_customer.out_sum_24h >= 1000000.0',
      5,
      'High daily outgoing volume (customer)',
    ),
    r('burst_5m', 'src.out_count_5m >= 3.0', 5, 'Several payments within 5 minutes'),
    r('burst_15m', 'src.out_count_15m >= 5.0', 5, 'Many payments within 15 minutes'),
    r('hourly_volume', 'src.out_sum_1h >= 500000.0', 4, 'High hourly outgoing volume'),
    r('recipients_6h', 'src.out_distinct_6h >= 5.0', 4, 'Many recipients within 6 hours'),
    r('credits_1h', 'dst.in_count_1h >= 5.0', 4, 'Many credits within an hour'),
    r('senders_24h', 'dst.in_distinct_24h >= 5.0', 4, 'Many senders within a day'),
    r(
      'above_avg_90d',
      'txn.amount >= 20000 && src.out_count_90d >= 10.0 && double(txn.amount) > 5.0 * src.out_avg_90d',
      4,
      'Five times the 90-day average',
    ),
    r(
      'above_max_180d',
      'txn.amount >= 20000 && src.out_count_180d >= 10.0 && double(txn.amount) > 2.0 * src.out_max_180d',
      5,
      'Twice the 180-day maximum',
    ),
    r('volume_90d', 'src.all_sum_90d >= 10000000.0', 3, 'High 90-day turnover'),
    r(
      'young_large',
      'txn.amount >= 100000 && src_party.known && src_party.age_days < 30.0',
      5,
      'Young account, large payment',
    ),
    r('risky_party', 'src_party.risk == "high" || dst_party.risk == "high"', 8, 'High-risk party'),
    r(
      'cash_withdrawals',
      'txn.kind == "cash_withdrawal" && src.out_count_24h >= 3.0',
      4,
      'Repeated cash withdrawals',
    ),
    r(
      'usual_amount',
      'txn.amount >= 10000 && src.history_count >= 10.0 && double(txn.amount) > 10.0 * src.usual_amount',
      5,
      'Ten times the usual amount',
    ),
    r('quiet_30d', 'src.days_since_last >= 30.0', 3, 'First activity in a month'),
    r(
      'outflow_gt_inflow',
      'txn.amount >= 10000 && src.out_sum_7d > 300000.0 && src.out_sum_7d > 1.5 * src.in_sum_30d',
      4,
      'Spending beyond recent income',
    ),
    r('round_payment', 'txn.amount >= 100000 && txn.round', 2, 'Round-amount payment'),
    r('customer_velocity', 'src_customer.out_count_24h >= 10.0', 4, 'Customer payment velocity'),
    r('credits_48h', 'dst.in_sum_48h >= 2000000.0', 4, 'Large credits within 48 hours'),
    r('credits_15m', 'dst.in_count_15m >= 3.0', 3, 'Several credits within 15 minutes'),
    r('round_credits', 'dst.in_round_count_30d >= 3.0', 3, 'Repeated round-amount credits'),
    r(
      'cash_in_week',
      'txn.kind == "cash_deposit" && dst.in_sum_7d >= 1500000.0',
      5,
      'Large cash inflow within a week',
    ),
    r(
      'wire_new_account',
      'txn.kind == "wire" && dst_party.known && dst_party.age_days < 90.0',
      4,
      'Wire to a young account',
    ),
    r(
      'in_out_same_day',
      'txn.amount >= 50000 && src.in_sum_24h >= 300000.0 && src.out_sum_24h >= 0.8 * src.in_sum_24h',
      5,
      'Money in and out the same day',
    ),
    r('counterparties_30d', 'src.out_distinct_30d >= 40.0', 2, 'Many counterparties in 30 days'),
    r('customer_z', 'src_customer.amount_z > 4.0', 4, 'Amount unusual for the customer'),
    r('address_velocity', 'address.out_distinct_24h >= 10.0', 4, 'Many payees from one address in a day'),
  ]
}

/** The default rule set: the typology detection rules (per segment) and 36 scoring rules. */
export function defaultRuleSet(p: TypologyParams = DEFAULT_PARAMS): RuleSetDef {
  return { rules: [...typologyRules(p), ...scoringRules()], fallback: 'review', budgetMs: 50 }
}
