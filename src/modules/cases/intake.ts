import type { Db } from '../../shared/db/connect.js'
import type { AuditRecord } from '../audit/index.js'
import type { ConsumerInbox, EventBus, EventMessage, OutgoingEvent, Subscription } from '../events/index.js'
import { ALERT_TOPICS, alertFromEvent } from './alert-sources.js'
import { dueAt, openKeyOf, type AlertSource, type CaseAlert, type Priority } from './cases.js'
import { CASES_EVENTS } from './cases.events.js'
import {
  insertAlerts,
  insertLinks,
  insertTimeline,
  knownAlerts,
  upsertCases,
  type CaseUpsert,
  type Link,
  type TimelineEntry,
} from './cases.store.js'
import type { CasesContext } from './context.js'

export interface IntakeResult {
  /** Alerts not seen before. */
  readonly fresh: number
  readonly casesOpened: number
  readonly casesUpdated: number
}

interface Group {
  readonly key: string
  readonly alerts: CaseAlert[]
}

/** The facts of the triggering transaction a monitoring alert carries (context.txn). */
function txnFacts(a: CaseAlert): Record<string, unknown> {
  const ctx = a.payload.context as { txn?: Record<string, unknown> } | undefined
  return ctx?.txn ?? {}
}

/**
 * Alerts → cases, for one tenant, inside `tx`: new alerts (source + id never seen) are stored, grouped
 * into the open case of their party and subject (opened when there is none; higher priority and
 * earlier due date win), linked to their transactions and counterparties, written on the timeline,
 * `cases.case.opened.v1` goes to the outbox and every touched case gets an audit entry — all in the
 * caller's transaction. A few statements per batch, whatever its size.
 */
export async function ingestAlerts(
  ctx: CasesContext,
  tx: Db,
  tenant: string,
  alerts: readonly CaseAlert[],
): Promise<IntakeResult> {
  const known = await knownAlerts(tx, tenant, alerts)
  const seen = new Set<string>()
  const fresh = alerts.filter((a) => {
    const id = `${a.source}:${a.alertId}`
    if (known.has(id) || seen.has(id)) return false
    seen.add(id)
    return true
  })
  if (fresh.length === 0) return { fresh: 0, casesOpened: 0, casesUpdated: 0 }
  const now = ctx.clock.now()
  const groups = new Map<string, Group>()
  for (const a of fresh) {
    const key = openKeyOf(a.partyId, a.subject)
    let g = groups.get(key)
    if (!g) groups.set(key, (g = { key, alerts: [] }))
    g.alerts.push(a)
  }
  const upserts: CaseUpsert[] = []
  for (const g of groups.values()) {
    const first = g.alerts[0]!
    const priority = Math.min(...g.alerts.map((a) => a.priority)) as Priority
    const kind: AlertSource = g.alerts.some((a) => a.source === 'screening') ? 'screening' : first.source
    const screening = g.alerts.filter((a) => a.source === 'screening').map((a) => a.score)
    upserts.push({
      caseId: ctx.ids('case'),
      openKey: g.key,
      partyId: first.partyId,
      subject: first.subject,
      kind,
      priority,
      dueAt: dueAt(now, kind, priority, ctx.sla),
      alertCount: g.alerts.length,
      maxScreeningScore: screening.length > 0 ? Math.max(...screening) : null,
    })
  }
  // Keys in one order, so that two consumers upserting overlapping keys never deadlock.
  upserts.sort((a, b) => (a.openKey < b.openKey ? -1 : a.openKey > b.openKey ? 1 : 0))
  const cases = await upsertCases(tx, tenant, upserts, now)
  const caseOf = (a: CaseAlert): string => cases.get(openKeyOf(a.partyId, a.subject))!.caseId
  await insertAlerts(tx, tenant, fresh, caseOf)
  const links: Link[] = []
  const timeline: TimelineEntry[] = []
  for (const a of fresh) {
    const caseId = caseOf(a)
    for (const t of a.transactions)
      links.push({
        caseId,
        type: 'transaction',
        ref: t,
        facts: txnFacts(a),
        linkedBy: 'system',
        linkedAt: now,
      })
    for (const c of a.counterparties)
      links.push({ caseId, type: 'counterparty', ref: c, facts: {}, linkedBy: 'system', linkedAt: now })
  }
  await insertLinks(tx, tenant, links)
  const events: OutgoingEvent[] = []
  const audits: AuditRecord[] = []
  let opened = 0
  for (const u of upserts) {
    const c = cases.get(u.openKey)!
    const g = groups.get(u.openKey)!
    const alertIds = g.alerts.map((a) => `${a.source}:${a.alertId}`)
    const linked = g.alerts.map((a) => ({
      source: a.source,
      alertId: a.alertId,
      rule: a.rule,
      summary: a.summary,
    }))
    // One timeline entry per case and batch: "opened" (with its first alerts) or "alerts_linked".
    timeline.push({
      caseId: c.caseId,
      entryId: ctx.ids('tle'),
      at: now,
      actor: 'system',
      action: c.opened ? 'opened' : 'alerts_linked',
      details: c.opened
        ? { kind: u.kind, priority: u.priority, dueAt: u.dueAt.toISOString(), alerts: linked }
        : { alerts: linked },
    })
    if (c.opened) {
      opened++
      events.push({
        topic: CASES_EVENTS.opened,
        key: c.caseId,
        tenantId: tenant,
        payload: {
          caseId: c.caseId,
          partyId: u.partyId,
          subject: u.subject,
          kind: u.kind,
          priority: u.priority,
          dueAt: u.dueAt.toISOString(),
          alertIds,
        },
      })
    }
    audits.push({
      tenant,
      actor: 'system',
      action: c.opened ? 'cases.case.open' : 'cases.case.alerts_linked',
      resource: `case:${c.caseId}`,
      outcome: 'success',
      origin: 'worker',
      details: { alerts: alertIds, priority: u.priority },
    })
  }
  await insertTimeline(tx, tenant, timeline)
  await ctx.outbox.enqueue(tx, events)
  await ctx.audit.recordAll(tx, audits)
  return { fresh: fresh.length, casesOpened: opened, casesUpdated: upserts.length - opened }
}

export const CASES_CONSUMER_GROUP = 'cases-alerts'

/**
 * Subscribes cases to the alert topics of the enabled sources. Each batch goes through the consumer
 * inbox: the event ids and their effect (cases, alerts, timeline, outbox, audit) commit together,
 * so a redelivered alert changes nothing.
 */
export function startAlertConsumer(
  ctx: CasesContext,
  bus: EventBus,
  inbox: ConsumerInbox,
  sources: readonly AlertSource[],
): Promise<Subscription> {
  return bus.subscribe({
    group: CASES_CONSUMER_GROUP,
    topics: sources.map((s) => ALERT_TOPICS[s]),
    maxInFlight: 1000,
    batchHandler: inbox.handler(CASES_CONSUMER_GROUP, async (tx, msgs) => {
      await ingestMessages(ctx, tx, msgs)
    }),
  })
}

/** Event messages → case alerts, per tenant, in the inbox's transaction. */
export async function ingestMessages(
  ctx: CasesContext,
  tx: Db,
  msgs: readonly EventMessage[],
): Promise<IntakeResult> {
  const byTenant = new Map<string, CaseAlert[]>()
  for (const m of msgs) {
    const a = alertFromEvent(m.topic, m.payload, m.occurredAt)
    if (!a) {
      ctx.logger?.warn({ topic: m.topic, id: m.id }, 'cases: an alert event without ids was skipped')
      continue
    }
    let list = byTenant.get(m.tenantId)
    if (!list) byTenant.set(m.tenantId, (list = []))
    list.push(a)
  }
  let fresh = 0
  let casesOpened = 0
  let casesUpdated = 0
  for (const [tenant, alerts] of byTenant) {
    const r = await ingestAlerts(ctx, tx, tenant, alerts)
    fresh += r.fresh
    casesOpened += r.casesOpened
    casesUpdated += r.casesUpdated
  }
  return { fresh, casesOpened, casesUpdated }
}
