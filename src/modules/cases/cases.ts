import { casesError } from './cases.errors.js'

/** Where an alert came from; each source can be switched off (MONETA_CASES_SOURCES). */
export const ALERT_SOURCES = ['monitoring', 'screening', 'market'] as const
export type AlertSource = (typeof ALERT_SOURCES)[number]

export const CASE_STATUSES = ['open', 'investigating', 'escalated', 'closed'] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

/**
 * How a case ended. These are the labels a risk model learns from (issue 17): keep them structured,
 * never free text. `sar_filed` implies `true_positive`.
 */
export const CASE_OUTCOMES = ['no_issue', 'false_positive', 'true_positive', 'sar_filed'] as const
export type CaseOutcome = (typeof CASE_OUTCOMES)[number]

/** 1 is the most urgent. */
export type Priority = 1 | 2 | 3 | 4

/** An alert as cases sees it, whatever engine raised it. */
export interface CaseAlert {
  readonly source: AlertSource
  readonly alertId: string
  /** The party the alert is about, when known (`pty_…` from the parties module, or a customer id). */
  readonly partyId: string | null
  /** What the alert is about: an account, a screened subject, an instrument. */
  readonly subject: string
  /** Rule id, typology or list entry: what fired. */
  readonly rule: string
  readonly typology: string | null
  readonly score: number
  readonly priority: Priority
  readonly summary: string
  readonly raisedAt: Date
  /** Transactions the alert names (monitoring: the triggering transaction). */
  readonly transactions: readonly string[]
  /** Counterparties the alert names (monitoring: the other side of the transaction). */
  readonly counterparties: readonly string[]
  /** The engine's own payload, kept verbatim for the evidence bundle and the SAR. */
  readonly payload: Readonly<Record<string, unknown>>
}

export interface Case {
  readonly tenantId: string
  readonly caseId: string
  readonly partyId: string | null
  readonly subject: string
  readonly kind: AlertSource
  readonly status: CaseStatus
  readonly priority: Priority
  readonly assignee: string | null
  readonly dueAt: Date
  readonly openedAt: Date
  readonly updatedAt: Date
  readonly closedAt: Date | null
  readonly outcome: CaseOutcome | null
  readonly alertCount: number
  /** The largest screening score among the case's alerts (a strong match needs four eyes to clear). */
  readonly maxScreeningScore: number | null
}

/** The key that makes "one open case per party and subject". */
export const openKeyOf = (partyId: string | null, subject: string): string => `${partyId ?? ''}|${subject}`

/** SLA per kind of case, in hours (MONETA_CASES_SLA_HOURS). */
export type SlaHours = Readonly<Record<AlertSource, number>>
export const DEFAULT_SLA_HOURS: SlaHours = { screening: 24, monitoring: 72, market: 48 }

/** Higher priority halves the time allowed: P1 gets a quarter of the kind's SLA, P2 half. */
export function dueAt(openedAt: Date, kind: AlertSource, priority: Priority, sla: SlaHours): Date {
  const factor = priority === 1 ? 0.25 : priority === 2 ? 0.5 : 1
  return new Date(openedAt.getTime() + sla[kind] * factor * 3_600_000)
}

/** Status changes an operator may ask for directly (closing goes through `close`). */
const MOVES: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  open: ['investigating', 'escalated'],
  investigating: ['escalated'],
  escalated: ['investigating'],
  closed: [],
}

/** Throws CASES_CLOSED or CASES_INVALID_TRANSITION unless `from → to` is allowed. */
export function checkMove(from: CaseStatus, to: CaseStatus): void {
  if (from === 'closed') throw casesError('CASES_CLOSED')
  if (!MOVES[from].includes(to)) throw casesError('CASES_INVALID_TRANSITION', `${from} → ${to}`)
}

export interface FourEyesPolicy {
  /** A screening score at or above this is a strong match: clearing it needs a second operator. */
  readonly strongMatchScore: number
}
export const DEFAULT_FOUR_EYES: FourEyesPolicy = { strongMatchScore: 0.9 }

/**
 * Why a closing needs a second operator, or undefined when one operator may close alone:
 * confirming suspicion (true positive, SAR filed) or clearing a strong screening match.
 */
export function fourEyesReason(c: Case, outcome: CaseOutcome, policy: FourEyesPolicy): string | undefined {
  if (outcome === 'true_positive' || outcome === 'sar_filed') return `closing as ${outcome}`
  if (c.maxScreeningScore !== null && c.maxScreeningScore >= policy.strongMatchScore)
    return `clearing a strong screening match (score ${c.maxScreeningScore.toFixed(2)})`
  return undefined
}

/** Who acts: the authenticated principal (`operator:op_…`, `apikey:key_…`, `system`, `cli:…`). */
export interface Actor {
  readonly id: string
  /** Grants held (permissions, `area:*`, `*`). */
  readonly grants: readonly string[]
  readonly origin: string
}

export const SYSTEM_ACTOR: Actor = { id: 'system', grants: [], origin: 'worker' }
