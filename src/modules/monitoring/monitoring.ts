/**
 * Transaction monitoring: domain types shared by the feature store, the rule compiler, the engine,
 * the generator and the backtester. Pure data; no I/O.
 */

export type TxnKind = 'transfer' | 'card' | 'cash_deposit' | 'cash_withdrawal' | 'wire' | 'ach'
export const TXN_KINDS: readonly TxnKind[] = [
  'transfer',
  'card',
  'cash_deposit',
  'cash_withdrawal',
  'wire',
  'ach',
]

/** Physical cash: the payer of a cash deposit and the payee of a withdrawal. Not tracked as an entity. */
export const CASH = 'cash'

/** A monetary movement as monitoring sees it (a payment about to go out, a ledger or bank event). */
export interface MonTxn {
  readonly id: string
  /** Epoch milliseconds. */
  readonly at: number
  /** Minor units. */
  readonly amount: bigint
  readonly currency: string
  readonly kind: TxnKind
  /** Payer account (or "cash"). */
  readonly src: string
  /** Payee account (or "cash"). */
  readonly dst: string
  readonly srcCountry?: string
  readonly dstCountry?: string
  readonly srcCustomer?: string
  readonly dstCustomer?: string
  readonly device?: string
  readonly card?: string
  /** Payer's address (e.g. a normalised billing or IP address key), tracked as an entity. */
  readonly address?: string
}

/** individual (personal), business, merchant (a shop or trade taking cash and card payments), external. */
export type PartySegment = 'individual' | 'business' | 'merchant' | 'external'
export const PARTY_SEGMENTS: readonly PartySegment[] = ['individual', 'business', 'merchant', 'external']

/** KYC facts about an account holder, as the rules see them (`src_party`, `dst_party`). */
export interface Party {
  readonly id: string
  readonly segment: PartySegment
  readonly country: string
  readonly risk: 'low' | 'medium' | 'high'
  /** Account opening, epoch ms. */
  readonly openedAt: number
}

export type Outcome = 'allow' | 'review' | 'block'
export const OUTCOMES: readonly Outcome[] = ['allow', 'review', 'block']
export const outcomeRank = (o: Outcome): number => (o === 'block' ? 2 : o === 'review' ? 1 : 0)

export type RuleSubject = 'src' | 'dst'

export interface RuleDef {
  readonly id: string
  readonly description?: string
  /** CEL expression over txn, src, dst, src_party, dst_party, src_customer, dst_customer, device, card, address. */
  readonly when: string
  readonly outcome: Outcome
  readonly score: number
  readonly reason: string
  /** Which side of the transaction an alert is about (default src). */
  readonly subject?: RuleSubject
  readonly typology?: string
}

export interface RuleSetDef {
  readonly rules: readonly RuleDef[]
  /** Outcome when a synchronous decision exceeds its latency budget (default review). */
  readonly fallback?: Outcome
  /** Latency budget of a synchronous decision in ms (default 50). */
  readonly budgetMs?: number
  /** Summed score at which the decision becomes review / block even if no single rule says so. */
  readonly reviewScore?: number
  readonly blockScore?: number
}

export type RuleSetStatus = 'draft' | 'shadow' | 'active' | 'retired'

export interface FiredRule {
  readonly ruleId: string
  readonly outcome: Outcome
  readonly score: number
  readonly reason: string
  readonly subject: string
  readonly typology: string | undefined
}

export interface Decision {
  readonly txnId: string
  readonly outcome: Outcome
  readonly score: number
  readonly fired: readonly FiredRule[]
  /** True when the latency budget ran out and the fallback outcome was applied. */
  readonly degraded: boolean
  readonly elapsedMs: number
}

export interface AlertDraft {
  readonly dedupKey: string
  readonly ruleSetVersion: number
  readonly ruleId: string
  readonly typology: string | undefined
  readonly subject: string
  readonly outcome: Outcome
  readonly score: number
  readonly reason: string
  readonly txnId: string
  readonly at: number
  /** Feature values the rule saw, the transaction, the parties. */
  readonly context: Record<string, unknown>
}

export const DAY_MS = 86_400_000

/** Days after a labelled case's last transaction during which an alert still counts for it. */
export const LABEL_SLACK_MS = 14 * DAY_MS

/** Round amounts: a whole multiple of 1,000 major units (100,000 minor units for 2-decimal currencies). */
export const ROUND_UNIT_MINOR = 100_000

/**
 * What "round" and "just below the reporting threshold" mean in one currency, in its minor units.
 * USD 10,000 is a Currency Transaction Report (31 CFR 1010.311); EUR 10,000 is the EU cash limit
 * for traders and cash declarations; GBP 8,500 is the UK regulations' EUR 10,000 high-value-dealer
 * threshold in sterling. Other currencies fall back to EUR's figures in their own minor units
 * (documented in docs/monitoring.md: configure them before relying on them).
 */
export interface CurrencyProfile {
  /** A payment is "round" when it is a whole multiple of this (minor units). */
  readonly roundUnit: number
  /** Cash reporting threshold (minor units): structuring stays just below it. */
  readonly reportThreshold: number
}

export const CURRENCY_PROFILES: Readonly<Record<string, CurrencyProfile>> = {
  USD: { roundUnit: 100_000, reportThreshold: 1_000_000 },
  EUR: { roundUnit: 100_000, reportThreshold: 1_000_000 },
  GBP: { roundUnit: 100_000, reportThreshold: 850_000 },
}
const FALLBACK_PROFILE: CurrencyProfile = CURRENCY_PROFILES.EUR!

export const currencyProfile = (currency: string): CurrencyProfile =>
  CURRENCY_PROFILES[currency] ?? FALLBACK_PROFILE

/** Both sides belong to one customer (a move between their own accounts is no counterparty relationship). */
export const sameOwner = (t: MonTxn): boolean =>
  t.srcCustomer !== undefined && t.srcCustomer !== '' && t.srcCustomer === t.dstCustomer
