import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createAudit } from '../src/modules/audit/index.js'
import { casesEvents, createCases, ingestMessages, type QueueFilter } from '../src/modules/cases/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import {
  createCatalogue,
  createInbox,
  createOutbox,
  partitionOf,
  type EventMessage,
} from '../src/modules/events/index.js'
import { marketEvents } from '../src/modules/market/index.js'
import { monitoringEvents } from '../src/modules/monitoring/index.js'
import { screeningEvents } from '../src/modules/screening/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- cases [--alerts N] [--subjects N] [--batch N] [--consumers N] [--cases N] [--queries N]
 *                        [--postgres URL | --pglite]
 *
 *  1. intake: N alert events as the engines publish them (80 % monitoring, 15 % screening, 5 % market)
 *     over --subjects parties/subjects, through the real consumer path (consumer inbox transaction →
 *     alerts, case upsert, links, timeline, outbox rows, audit entries), in batches of --batch;
 *  2. queue: --cases cases generated with one set-based INSERT … SELECT generate_series in a fresh
 *     tenant, then --queries queue pages (filters: none, status, assignee, unassigned, kind, overdue;
 *     first pages and cursor pages), p99;
 *  3. onboarding a party with screening: bench/parties.ts's measureOnboarding when it exists, else null.
 * Database: --postgres URL, else DATABASE_URL / MONETA_TEST_DATABASE_URL, else PGlite in memory.
 * The tenants it creates are deleted at the end.
 */
const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const num = (args: string[], name: string, fallback: number): number => Number(arg(args, name) ?? fallback)
const log = (s: string): void => void process.stdout.write(`${s}\n`)

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

function alertEvent(tenant: string, i: number, subjects: number): EventMessage {
  const s = i % subjects
  const at = new Date(Date.UTC(2026, 3, 1) + i * 1000)
  const r = i % 20
  if (r < 16) {
    const amount = String(700_000 + ((i * 7919) % 299_000))
    return {
      id: `evt_m${i}`,
      topic: 'monitoring.alert.raised.v1',
      key: `acc_${s}`,
      tenantId: tenant,
      position: String(i),
      occurredAt: at,
      headers: {},
      payload: {
        alertId: `mal_${i}`,
        ruleSetVersion: 1,
        ruleId: 'structuring.cash_below_threshold',
        typology: 'structuring',
        subject: `acc_${s}`,
        outcome: i % 50 === 0 ? 'block' : 'review',
        score: 40 + (i % 50),
        reason: 'Repeated cash deposits just below the reporting threshold',
        txnId: `txn_${i}`,
        at: at.toISOString(),
        context: {
          txn: {
            id: `txn_${i}`,
            at: at.toISOString(),
            amount,
            currency: 'USD',
            kind: 'cash_deposit',
            src: 'cash',
            dst: `acc_${s}`,
            dstCustomer: `cus_${s}`,
          },
        },
      },
    }
  }
  if (r < 19) {
    return {
      id: `evt_s${i}`,
      topic: 'screening.alert.created.v1',
      key: `pty_${s}`,
      tenantId: tenant,
      position: String(i),
      occurredAt: at,
      headers: {},
      payload: {
        alertId: `sal_${i}`,
        subjectId: `pty_${s}`,
        listId: 'ofac_sdn',
        entryKey: String(i % 9000),
        score: 0.8 + (i % 20) / 100,
        source: 'screen',
        summary: 'Name matches a list entry',
      },
    }
  }
  return {
    id: `evt_k${i}`,
    topic: 'market.alert.triggered.v1',
    key: `SYM${s % 500}`,
    tenantId: tenant,
    position: String(i),
    occurredAt: at,
    headers: {},
    payload: {
      alertId: `alr_${i.toString(16)}`,
      ruleId: 'mrl_1',
      instrument: `SYM${s % 500}`,
      kind: 'pct_move',
      price: '101.5',
      tickTs: at.getTime(),
      tickId: `tick_${i}`,
      message: 'Moved 5 % in 60 s',
    },
  }
}

export async function main(args: string[]): Promise<void> {
  const url = args.includes('--pglite')
    ? undefined
    : (arg(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.MONETA_TEST_DATABASE_URL)
  const alerts = num(args, 'alerts', 100_000)
  const subjects = num(args, 'subjects', 20_000)
  const batch = num(args, 'batch', 1000)
  const caseCount = num(args, 'cases', 1_000_000)
  const queries = num(args, 'queries', 600)
  const h = await connect({ databaseUrl: url, poolSize: 6 })
  log(`database: ${h.engine}`)
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const crypto = await throwawayCrypto(h.db)
  const audit = createAudit({ db: h.db, clock: systemClock, keys: crypto.keyring.auditKeys() })
  const cases = createCases({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    outbox: createOutbox(
      createCatalogue([...casesEvents, ...monitoringEvents, ...screeningEvents, ...marketEvents]),
    ),
    // As the app wires it: entries written in the intake transaction (ADR 0211). --no-audit
    // (diagnostic only) shows how much of the intake cost the audit entries are.
    audit: args.includes('--no-audit')
      ? { record: () => Promise.resolve(), recordAll: () => Promise.resolve() }
      : { record: (tx, e) => audit.recordIn(tx, e), recordAll: (tx, es) => audit.recordAllIn(tx, es) },
    fieldCipher: crypto.fieldCipher,
  })
  const inbox = createInbox(h.db)
  const intakeTenant = newId('ten')
  const queueTenant = newId('ten')
  const warm = newId('ten')
  try {
    // 1. Intake through the consumer inbox, batch by batch as the bus hands them over.
    log(`intake: ${alerts} alert events over ${subjects} subjects, batches of ${batch}`)
    const events = Array.from({ length: alerts }, (_, i) => alertEvent(intakeTenant, i, subjects))
    // Warm-up on a throwaway tenant (JIT, plans).
    await inbox.apply(
      'cases-bench',
      Array.from({ length: 500 }, (_, i) => alertEvent(warm, i, 100)),
      (tx, fresh) => ingestMessages(cases.context, tx, fresh).then(() => undefined),
    )
    // The bus hands each partition (by key: the subject) to one consumer; --consumers run side by side.
    const consumers = num(args, 'consumers', 2)
    const parts = Array.from({ length: consumers }, () => [] as EventMessage[])
    for (const e of events) parts[partitionOf(e.key, consumers)]!.push(e)
    let opened = 0
    let done = 0
    const t0 = performance.now()
    await Promise.all(
      parts.map(async (part) => {
        for (let i = 0; i < part.length; i += batch) {
          await inbox.apply('cases-bench', part.slice(i, i + batch), async (tx, fresh) => {
            const r = await ingestMessages(cases.context, tx, fresh)
            opened += r.casesOpened // after the await: both consumers add to the same counter
          })
          done += Math.min(batch, part.length - i)
          if (Math.floor(done / batch) % 20 === 0) log(`  ${done} alerts, ${opened} cases`)
        }
      }),
    )
    const intakeMs = performance.now() - t0
    await audit.flush()
    const alertsPerS = Math.round(alerts / (intakeMs / 1000))
    log(
      `intake: ${alerts} alerts → ${opened} cases in ${(intakeMs / 1000).toFixed(1)} s = ${alertsPerS} alerts/s (audit flushed after)`,
    )
    const redelivered = await inbox.apply('cases-bench', events.slice(0, batch), (tx, fresh) =>
      ingestMessages(cases.context, tx, fresh).then(() => undefined),
    )
    log(`redelivery of ${batch} events: ${redelivered} processed again (expected 0)`)

    // 2. The queue over many cases, generated set-based.
    log(`queue: generating ${caseCount} cases (INSERT … SELECT generate_series)`)
    const g0 = performance.now()
    await sql`
      INSERT INTO cases_cases (tenant_id, case_id, open_key, party_id, subject, kind, status, priority, assignee, due_at,
                               opened_at, updated_at, closed_at, outcome, alert_count)
      SELECT ${queueTenant}, 'case_' || lpad(to_hex(g), 32, '0'), 'k' || g, 'pty_' || (g % 200000), 'acc_' || g,
             (ARRAY['monitoring','monitoring','monitoring','screening','market'])[1 + g % 5],
             st, 1 + (hashint % 4), CASE WHEN h2 % 3 = 0 THEN NULL ELSE 'op_' || (h2 % 40) END,
             now() + ((hashint % 20000) - 5000) * interval '1 minute', now() - interval '1 day', now(),
             CASE WHEN st = 'closed' THEN now() END, CASE WHEN st = 'closed' THEN 'no_issue' END, 1
      FROM (SELECT g, abs(hashtext(g::text)) AS hashint, abs(hashtext('a' || g)) AS h2,
                   (ARRAY['closed','closed','closed','closed','closed','closed','open','open','investigating','escalated'])[1 + abs(hashtext('s' || g)) % 10] AS st
            FROM generate_series(1, ${caseCount}) AS g) x`.execute(h.db)
    await sql`ANALYZE cases_cases`.execute(h.db)
    log(`  generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`)
    const filters: { name: string; f: QueueFilter }[] = [
      { name: 'all open', f: {} },
      { name: 'status=open', f: { status: 'open' } },
      { name: 'status=escalated', f: { status: 'escalated' } },
      { name: 'assignee', f: { assignee: 'op_7' } },
      { name: 'unassigned', f: { unassigned: true } },
      { name: 'kind=screening', f: { kind: 'screening' } },
      { name: 'overdue', f: { overdueAt: new Date() } },
    ]
    for (const { f } of filters) await cases.queue(queueTenant, f) // warm-up
    const times: number[] = []
    const byFilter = new Map<string, number[]>()
    for (let q = 0; q < queries; q++) {
      const { name, f } = filters[q % filters.length]!
      const first = await cases.queue(queueTenant, { ...f, limit: 50 })
      const start = performance.now()
      // Half the measured reads are first pages, half a following page (keyset cursor).
      const page =
        q % 2 === 0 || !first.next
          ? await cases.queue(queueTenant, { ...f, limit: 50 })
          : await cases.queue(queueTenant, { ...f, limit: 50, cursor: first.next })
      const ms = performance.now() - start
      if (page.cases.length === 0 && name !== 'overdue') log(`  (empty page for ${name})`)
      times.push(ms)
      const list = byFilter.get(name) ?? []
      list.push(ms)
      byFilter.set(name, list)
    }
    for (const [name, list] of byFilter)
      log(`  ${name.padEnd(18)} p50 ${pct(list, 50).toFixed(2)} ms  p99 ${pct(list, 99).toFixed(2)} ms`)
    const queueP99 = Number(pct(times, 99).toFixed(2))
    log(
      `queue: ${queries} pages over ${caseCount} cases: p50 ${pct(times, 50).toFixed(2)} ms, p99 ${queueP99} ms`,
    )

    // 3. Onboarding with screening: the parties engineer's measurement, when it is on main.
    let onboardP99: number | null = null
    try {
      const partiesBench = (await import(`./${'parties'}.ts`)) as {
        measureOnboarding?: (o: { count: number; databaseUrl?: string }) => Promise<{ onboardP99Ms: number }>
      }
      // On the same database as the intake and the queue (it used PGlite whatever --postgres said).
      if (partiesBench.measureOnboarding)
        onboardP99 = (
          await partiesBench.measureOnboarding({ count: 2000, ...(url ? { databaseUrl: url } : {}) })
        ).onboardP99Ms
    } catch {
      log('onboarding: bench/parties.ts (measureOnboarding) is not there: reported as null')
    }
    log(
      JSON.stringify({
        bench: 'cases',
        alerts_per_s: alertsPerS,
        queue_p99_ms: queueP99,
        onboard_p99_ms: onboardP99,
      }),
    )
  } finally {
    await audit.close()
    for (const t of [intakeTenant, queueTenant, warm]) {
      for (const table of [
        'cases_cases',
        'cases_alerts',
        'cases_links',
        'cases_timeline',
        'event_inbox',
        'event_outbox',
      ])
        await sql`DELETE FROM ${sql.table(table)} WHERE tenant_id = ${t}`.execute(h.db)
    }
    await h.close()
  }
}
