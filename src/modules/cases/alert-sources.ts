import type { AlertSource, CaseAlert, Priority } from './cases.js'

/**
 * The alert events cases consumes, and how each becomes a `CaseAlert`. The engines own their payloads
 * (monitoring.events.ts, screening.events.ts, market.events.ts); only the fields read here matter.
 */
export const ALERT_TOPICS: Readonly<Record<AlertSource, string>> = {
  monitoring: 'monitoring.alert.raised.v1',
  screening: 'screening.alert.created.v1',
  market: 'market.alert.triggered.v1',
}

type Payload = Readonly<Record<string, unknown>>

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const obj = (v: unknown): Payload => (v !== null && typeof v === 'object' ? (v as Payload) : {})

/**
 * Monitoring: block → P1, outside the live model's alert budget → P4 (monitoring's AlertBudget),
 * score ≥ 70 or the risk model's champion above its threshold → P2, else P3 (the model ranks the
 * rules' alerts). Party: the customer on the alerted side.
 */
function fromMonitoring(p: Payload, occurredAt: Date): CaseAlert | undefined {
  const alertId = str(p.alertId)
  const subject = str(p.subject)
  if (!alertId || !subject) return undefined
  const txn = obj(obj(p.context).txn)
  const onDst = str(txn.dst) === subject
  const partyId = str(p.partyId) ?? str(onDst ? txn.dstCustomer : txn.srcCustomer) ?? null
  const other = str(onDst ? txn.src : txn.dst)
  const score = num(p.score)
  const model = obj(obj(p.context).model)
  const modelFlags = model.aboveThreshold === true
  // outside the live model's alert budget (the rules alerted, the combined score ranks it below the
  // rules' volume): worked after everything else, never dropped
  const outsideBudget = model.withinBudget === false
  const priority: Priority = p.outcome === 'block' ? 1 : outsideBudget ? 4 : score >= 70 || modelFlags ? 2 : 3
  return {
    source: 'monitoring',
    alertId,
    partyId,
    subject,
    rule: str(p.ruleId) ?? 'unknown',
    typology: str(p.typology) ?? null,
    score,
    priority,
    summary: str(p.reason) ?? 'Monitoring alert',
    raisedAt: new Date(str(p.at) ?? occurredAt.toISOString()),
    transactions: str(p.txnId) ? [str(p.txnId)!] : [],
    counterparties: other && other !== 'cash' ? [other] : [],
    payload: p,
  }
}

/** Screening: score ≥ 0.95 → P1, ≥ 0.85 → P2, else P3. A party's screening carries its party id. */
function fromScreening(p: Payload, occurredAt: Date): CaseAlert | undefined {
  const alertId = str(p.alertId)
  const subject = str(p.subjectId)
  if (!alertId || !subject) return undefined
  const score = num(p.score)
  const priority: Priority = score >= 0.95 ? 1 : score >= 0.85 ? 2 : 3
  const partyId = str(p.partyId) ?? (subject.startsWith('pty_') ? subject : null)
  return {
    source: 'screening',
    alertId,
    partyId,
    subject,
    rule: `${str(p.listId) ?? 'list'}:${str(p.entryKey) ?? '?'}`,
    typology: 'sanctions',
    score,
    priority,
    summary: str(p.summary) ?? 'Screening hit',
    raisedAt: occurredAt,
    transactions: [],
    counterparties: [],
    payload: p,
  }
}

/** Market surveillance: about an instrument, no party; P3. */
function fromMarket(p: Payload, occurredAt: Date): CaseAlert | undefined {
  const alertId = str(p.alertId)
  const instrument = str(p.instrument)
  if (!alertId || !instrument) return undefined
  const ts = num(p.tickTs)
  return {
    source: 'market',
    alertId,
    partyId: null,
    subject: `instrument:${instrument}`,
    rule: str(p.ruleId) ?? 'unknown',
    typology: str(p.kind) ?? null,
    score: 0,
    priority: 3,
    summary: str(p.message) ?? 'Market alert',
    raisedAt: ts > 0 ? new Date(ts) : occurredAt,
    transactions: [],
    counterparties: [],
    payload: p,
  }
}

const PARSERS: Readonly<Record<AlertSource, (p: Payload, at: Date) => CaseAlert | undefined>> = {
  monitoring: fromMonitoring,
  screening: fromScreening,
  market: fromMarket,
}

const SOURCE_OF_TOPIC = new Map<string, AlertSource>(
  (Object.entries(ALERT_TOPICS) as [AlertSource, string][]).map(([s, t]) => [t, s]),
)

/** The case alert an event carries, or undefined when the topic is not an alert or the payload lacks ids. */
export function alertFromEvent(topic: string, payload: unknown, occurredAt: Date): CaseAlert | undefined {
  const source = SOURCE_OF_TOPIC.get(topic)
  return source ? PARSERS[source](obj(payload), occurredAt) : undefined
}
