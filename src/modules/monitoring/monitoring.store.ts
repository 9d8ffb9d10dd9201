import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { CaseLabel } from './backtest.js'
import { MODEL_RULE_ID } from './decision-model.js'
import type { QueuedAlertFact } from './queue-volume.js'
import type { CounterpartySeed, EntityHabits, EntityKind } from './features.js'
import {
  CASH,
  type AlertDraft,
  type MonTxn,
  type Outcome,
  type Party,
  type RuleSetDef,
  type RuleSetStatus,
  type TxnKind,
} from './monitoring.js'

/** PostgreSQL / PGlite storage of the monitoring module (raw SQL through Kysely). */

export interface RuleSetRecord {
  readonly version: number
  readonly status: RuleSetStatus
  readonly definition: RuleSetDef
  readonly note: string | null
  readonly createdAt: Date
  readonly activatedAt: Date | null
}

export interface AlertRecord {
  readonly alertId: string
  readonly dedupKey: string
  readonly ruleSetVersion: number
  readonly ruleId: string
  readonly typology: string | null
  readonly subject: string
  readonly outcome: Outcome
  readonly score: number
  readonly reason: string
  readonly txnId: string
  readonly at: Date
  readonly hits: number
  readonly status: string
  readonly context: Record<string, unknown>
  readonly createdAt: Date
}

export interface AlertFilter {
  readonly ruleId?: string
  readonly subject?: string
  readonly status?: string
  readonly from?: Date
  readonly to?: Date
  readonly limit?: number
}

/** A subject alerted on a day; `modelId` when it is a risk model's own alert (`risk_model`). */
export interface AlertedSubjectDay {
  readonly subject: string
  readonly day: number
  readonly modelId?: string
}

interface RuleSetRow {
  version: number
  status: RuleSetStatus
  definition: RuleSetDef
  note: string | null
  created_at: Date
  activated_at: Date | null
}

const toRuleSet = (r: RuleSetRow): RuleSetRecord => ({
  version: Number(r.version),
  status: r.status,
  definition: r.definition,
  note: r.note,
  createdAt: new Date(r.created_at),
  activatedAt: r.activated_at ? new Date(r.activated_at) : null,
})

interface AlertRow {
  alert_id: string
  dedup_key: string
  rule_set_version: number
  rule_id: string
  typology: string | null
  subject: string
  outcome: Outcome
  score: number
  reason: string
  txn_id: string
  at: Date
  hits: number
  status: string
  context: Record<string, unknown>
  created_at: Date
}

const toAlert = (r: AlertRow): AlertRecord => ({
  alertId: r.alert_id,
  dedupKey: r.dedup_key,
  ruleSetVersion: Number(r.rule_set_version),
  ruleId: r.rule_id,
  typology: r.typology,
  subject: r.subject,
  outcome: r.outcome,
  score: Number(r.score),
  reason: r.reason,
  txnId: r.txn_id,
  at: new Date(r.at),
  hits: Number(r.hits),
  status: r.status,
  context: r.context,
  createdAt: new Date(r.created_at),
})

interface TxnRow {
  txn_id: string
  at: Date
  amount: bigint | string
  currency: string
  kind: TxnKind
  src: string
  dst: string
  src_country: string | null
  dst_country: string | null
  src_customer: string | null
  dst_customer: string | null
  device: string | null
  card: string | null
  address: string | null
}

const toTxn = (r: TxnRow): MonTxn => ({
  id: r.txn_id,
  at: new Date(r.at).getTime(),
  amount: BigInt(r.amount),
  currency: r.currency,
  kind: r.kind,
  src: r.src,
  dst: r.dst,
  ...(r.src_country ? { srcCountry: r.src_country } : {}),
  ...(r.dst_country ? { dstCountry: r.dst_country } : {}),
  ...(r.src_customer ? { srcCustomer: r.src_customer } : {}),
  ...(r.dst_customer ? { dstCustomer: r.dst_customer } : {}),
  ...(r.device ? { device: r.device } : {}),
  ...(r.card ? { card: r.card } : {}),
  ...(r.address ? { address: r.address } : {}),
})

const iso = (ms: number): string => new Date(ms).toISOString()

/** Lifetime activity of one account or customer. */
export interface EntityActivity {
  readonly kind: EntityKind
  readonly id: string
  readonly firstAt: number
  readonly lastAt: number
  readonly lastInAt: number | undefined
  readonly lastOutAt: number | undefined
  readonly events: number
}

interface ActivityRow {
  kind: 'account' | 'customer'
  entity_id: string
  first_at: Date | string
  last_at: Date | string
  last_in_at: Date | string | null
  last_out_at: Date | string | null
  events: bigint | number | string
}

const ms = (d: Date | string): number => new Date(d).getTime()
const toActivity = (r: ActivityRow): EntityActivity => ({
  kind: r.kind,
  id: r.entity_id,
  firstAt: ms(r.first_at),
  lastAt: ms(r.last_at),
  lastInAt: r.last_in_at === null ? undefined : ms(r.last_in_at),
  lastOutAt: r.last_out_at === null ? undefined : ms(r.last_out_at),
  events: Number(r.events),
})

/**
 * Every (entity, direction, time) a set of stored transactions touches, with ln(amount) and the
 * counterparty account the entity's features record (none for cash, nor between one customer's own
 * accounts): the payer's account, customer, device, card and address record it as outgoing, the
 * payee's account and customer as incoming, and an id the engine does not track (none, empty, cash:
 * `isTracked`) records nothing (FeatureStore.applyResolved). One query; each side a scan.
 */
const activitySource = (tenant: string, where: RawBuilder<unknown>): RawBuilder<unknown> => {
  // sameOwner: both sides name one customer (coalesce: a side with no customer compares as NULL)
  const own = sql`coalesce(src_customer = dst_customer, false)`
  const to = sql`CASE WHEN dst <> 'cash' AND NOT ${own} THEN dst END`
  const from = sql`CASE WHEN src <> 'cash' AND NOT ${own} THEN src END`
  const sides = [
    ['account', 'src', 'out', to],
    ['account', 'dst', 'in', from],
    ['customer', 'src_customer', 'out', to],
    ['customer', 'dst_customer', 'in', from],
    ['device', 'device', 'out', to],
    ['card', 'card', 'out', to],
    ['address', 'address', 'out', to],
  ] as const
  // UNION ALL of one scan per side: on PostgreSQL 15 a LATERAL (VALUES …) unpivot read the table
  // once but cost 20 % more (1.65 s against 1.35 s for 200k transactions, session 29)
  return sql.join(
    sides.map(
      ([kind, column, dir, cp]) => sql`
      SELECT ${sql.lit(kind)}::text AS kind, ${sql.ref(column)} AS entity_id, ${sql.lit(dir)}::text AS dir, at,
             ln(amount::float8) AS ln, ${cp} AS cp
      FROM monitoring_transactions
      WHERE tenant_id = ${tenant} AND ${where} AND ${sql.ref(column)} IS NOT NULL AND ${sql.ref(column)} NOT IN ('', 'cash')`,
    ),
    sql` UNION ALL `,
  )
}

/** One entity and direction of the stored transactions before a time (seedsBefore). */
interface SeedRow {
  kind: EntityKind
  entity_id: string
  dir: 'in' | 'out'
  n: number
  /** Sums of ln(amount) and of its square. */
  s1: number | string
  s2: number | string
  /** Epoch milliseconds (as the engine counts time). */
  first_ms: number | string
  last_ms: number | string
  /** Its counterparties: [account, first contact, last contact] (json: one value per entity, not one row per pair). */
  cps: [string, number, number][] | null
}

type HabitDir = { n: number; mean: number; m2: number; counterparties: CounterpartySeed[] }

/** Folds each entity's two directions into its lifetime activity and habits. */
function toSeeds(rows: readonly SeedRow[]): { activity: EntityActivity[]; habits: EntityHabits[] } {
  const activity = new Map<string, { -readonly [K in keyof EntityActivity]: EntityActivity[K] }>()
  const habits = new Map<string, { kind: EntityKind; id: string; in: HabitDir; out: HabitDir }>()
  const empty = (): HabitDir => ({ n: 0, mean: 0, m2: 0, counterparties: [] })
  for (const r of rows) {
    const key = `${r.kind}|${r.entity_id}`
    const n = Number(r.n)
    const first = Number(r.first_ms)
    const last = Number(r.last_ms)
    const a = activity.get(key)
    const lastIn = r.dir === 'in' ? last : undefined
    const lastOut = r.dir === 'out' ? last : undefined
    if (!a)
      activity.set(key, {
        kind: r.kind,
        id: r.entity_id,
        firstAt: first,
        lastAt: last,
        lastInAt: lastIn,
        lastOutAt: lastOut,
        events: n,
      })
    else {
      a.firstAt = Math.min(a.firstAt, first)
      a.lastAt = Math.max(a.lastAt, last)
      if (lastIn !== undefined) a.lastInAt = lastIn
      if (lastOut !== undefined) a.lastOutAt = lastOut
      a.events += n
    }
    let h = habits.get(key)
    if (!h) habits.set(key, (h = { kind: r.kind, id: r.entity_id, in: empty(), out: empty() }))
    // Welford's n, mean and M2 from the sums (ln(amount) lies in 0–40, so the cancellation in
    // s2 − s1²/n stays near 1e-12 of M2's scale; clamped: equal amounts may leave −1e-13)
    const s1 = Number(r.s1)
    const d = h[r.dir]
    d.n = n
    d.mean = s1 / n
    d.m2 = Math.max(0, Number(r.s2) - s1 * d.mean)
    for (const [cp, f, l] of r.cps ?? []) d.counterparties.push({ cp, first: f, last: l })
  }
  return { activity: [...activity.values()], habits: [...habits.values()] }
}

interface ActivityDelta {
  readonly kind: 'account' | 'customer'
  readonly id: string
  firstAt: number
  lastAt: number
  lastInAt: number | null
  lastOutAt: number | null
  events: number
}

/**
 * What a batch of transactions adds to each entity's lifetime activity: the rows activitySource
 * would read back for them (an account side unless cash, a customer side when named), folded per
 * entity in memory. Reading the just-inserted rows back through four index scans of a 1M-row table
 * took most of an evaluation call's database time at 10,000 customers (docs/risk.md, "Session 27:
 * the database, not the model, was the slow part").
 */
export function activityDeltas(txns: readonly MonTxn[]): ActivityDelta[] {
  const out = new Map<string, ActivityDelta>()
  const touch = (kind: 'account' | 'customer', id: string, dir: 'in' | 'out', at: number): void => {
    const key = `${kind}|${id}`
    let d = out.get(key)
    if (!d)
      out.set(key, (d = { kind, id, firstAt: at, lastAt: at, lastInAt: null, lastOutAt: null, events: 0 }))
    d.firstAt = Math.min(d.firstAt, at)
    d.lastAt = Math.max(d.lastAt, at)
    if (dir === 'in') d.lastInAt = Math.max(d.lastInAt ?? at, at)
    else d.lastOutAt = Math.max(d.lastOutAt ?? at, at)
    d.events++
  }
  for (const t of txns) {
    if (t.src !== CASH) touch('account', t.src, 'out', t.at)
    if (t.dst !== CASH) touch('account', t.dst, 'in', t.at)
    if (t.srcCustomer !== undefined) touch('customer', t.srcCustomer, 'out', t.at)
    if (t.dstCustomer !== undefined) touch('customer', t.dstCustomer, 'in', t.at)
  }
  // key order: concurrent batches lock the rows they share in the same order
  return [...out.values()].sort((a, b) =>
    a.kind + a.id < b.kind + b.id ? -1 : a.kind + a.id > b.kind + b.id ? 1 : 0,
  )
}

/** Folds newly stored transactions into the lifetime activity rows (same database transaction). */
async function recordActivity(tx: Db, tenant: string, txns: readonly MonTxn[]): Promise<void> {
  const rows = activityDeltas(txns)
  const at = (ms: number | null): string | null => (ms === null ? null : iso(ms))
  for (let i = 0; i < rows.length; i += 5000) {
    const c = rows.slice(i, i + 5000)
    await sql`
      INSERT INTO monitoring_entity_activity (tenant_id, kind, entity_id, first_at, last_at, last_in_at, last_out_at, events)
      SELECT ${tenant}, x.kind, x.id, x.first_at::timestamptz, x.last_at::timestamptz, x.last_in::timestamptz,
             x.last_out::timestamptz, x.events
      FROM unnest(${c.map((r) => r.kind)}::text[], ${c.map((r) => r.id)}::text[], ${c.map((r) => iso(r.firstAt))}::text[],
                  ${c.map((r) => iso(r.lastAt))}::text[], ${c.map((r) => at(r.lastInAt))}::text[],
                  ${c.map((r) => at(r.lastOutAt))}::text[], ${c.map((r) => r.events)}::int[])
           AS x(kind, id, first_at, last_at, last_in, last_out, events)
      ON CONFLICT (tenant_id, kind, entity_id) DO UPDATE SET
        first_at = LEAST(monitoring_entity_activity.first_at, excluded.first_at),
        last_at = GREATEST(monitoring_entity_activity.last_at, excluded.last_at),
        last_in_at = GREATEST(monitoring_entity_activity.last_in_at, excluded.last_in_at),
        last_out_at = GREATEST(monitoring_entity_activity.last_out_at, excluded.last_out_at),
        events = monitoring_entity_activity.events + excluded.events`.execute(tx)
  }
}

export function createMonitoringStore(db: Db) {
  /** `transactions` a page at a time (risk training hands each page on, never holding the window). */
  async function* transactionPages(
    tenant: string,
    from: number,
    to: number,
    page = 10_000,
  ): AsyncGenerator<MonTxn[]> {
    let afterAt = iso(from - 1)
    let afterId = ''
    let first = true
    for (;;) {
      const r = await sql<TxnRow>`
        SELECT txn_id, at, amount, currency, kind, src, dst, src_country, dst_country, src_customer, dst_customer,
               device, card, address
        FROM monitoring_transactions
        WHERE tenant_id = ${tenant} AND at < ${iso(to)}::timestamptz
          AND ${first ? sql`at >= ${iso(from)}::timestamptz` : sql`(at, txn_id) > (${afterAt}::timestamptz, ${afterId})`}
        ORDER BY at, txn_id LIMIT ${page}`.execute(db)
      if (r.rows.length > 0) yield r.rows.map(toTxn)
      if (r.rows.length < page) return
      const last = r.rows[r.rows.length - 1]!
      afterAt = new Date(last.at).toISOString()
      afterId = last.txn_id
      first = false
    }
  }

  return {
    async insertRuleSet(
      tx: Db,
      tenant: string,
      def: RuleSetDef,
      note: string | null,
    ): Promise<RuleSetRecord> {
      // serialise version numbers per tenant
      await sql`SELECT pg_advisory_xact_lock(hashtext('monitoring_rule_sets'), hashtext(${tenant}))`.execute(
        tx,
      )
      const r = await sql<RuleSetRow>`
        INSERT INTO monitoring_rule_sets (tenant_id, version, status, definition, note)
        SELECT ${tenant}, coalesce(max(version), 0) + 1, 'draft', ${JSON.stringify(def)}::jsonb, ${note}
        FROM monitoring_rule_sets WHERE tenant_id = ${tenant}
        RETURNING version, status, definition, note, created_at, activated_at`.execute(tx)
      return toRuleSet(r.rows[0]!)
    },

    async tenantsWithActiveRuleSet(): Promise<string[]> {
      const r = await sql<{ tenant_id: string }>`
        SELECT DISTINCT tenant_id FROM monitoring_rule_sets WHERE status = 'active'`.execute(db)
      return r.rows.map((row) => row.tenant_id)
    },

    async listRuleSets(tenant: string): Promise<RuleSetRecord[]> {
      const r = await sql<RuleSetRow>`
        SELECT version, status, definition, note, created_at, activated_at FROM monitoring_rule_sets
        WHERE tenant_id = ${tenant} ORDER BY version`.execute(db)
      return r.rows.map(toRuleSet)
    },

    async getRuleSet(tenant: string, version: number, tx: Db = db): Promise<RuleSetRecord | undefined> {
      const r = await sql<RuleSetRow>`
        SELECT version, status, definition, note, created_at, activated_at FROM monitoring_rule_sets
        WHERE tenant_id = ${tenant} AND version = ${version}`.execute(tx)
      return r.rows[0] ? toRuleSet(r.rows[0]) : undefined
    },

    async setStatus(tx: Db, tenant: string, version: number, status: RuleSetStatus): Promise<void> {
      if (status === 'active') {
        await sql`UPDATE monitoring_rule_sets SET status = 'retired'
                  WHERE tenant_id = ${tenant} AND status = 'active' AND version <> ${version}`.execute(tx)
      }
      await sql`UPDATE monitoring_rule_sets
                SET status = ${status}, activated_at = CASE WHEN ${status} = 'active' THEN now() ELSE activated_at END
                WHERE tenant_id = ${tenant} AND version = ${version}`.execute(tx)
    },

    async saveList(tenant: string, name: string, items: readonly string[]): Promise<number> {
      const r = await sql<{ version: number }>`
        INSERT INTO monitoring_lists (tenant_id, name, version, items)
        SELECT ${tenant}, ${name}, coalesce(max(version), 0) + 1, ${JSON.stringify(items)}::jsonb
        FROM monitoring_lists WHERE tenant_id = ${tenant} AND name = ${name}
        RETURNING version`.execute(db)
      return Number(r.rows[0]!.version)
    },

    /** Latest version of every list. */
    async latestLists(tenant: string): Promise<{ name: string; version: number; items: string[] }[]> {
      const r = await sql<{ name: string; version: number; items: string[] }>`
        SELECT DISTINCT ON (name) name, version, items FROM monitoring_lists
        WHERE tenant_id = ${tenant} ORDER BY name, version DESC`.execute(db)
      return r.rows.map((x) => ({ name: x.name, version: Number(x.version), items: x.items }))
    },

    async upsertParties(tenant: string, given: readonly Party[]): Promise<void> {
      // The same id twice in one batch: the last one wins, as it does in the engine's party map
      // (one INSERT … ON CONFLICT may not touch a row twice).
      const parties = [...new Map(given.map((p) => [p.id, p])).values()]
      for (let i = 0; i < parties.length; i += 5000) {
        const chunk = parties.slice(i, i + 5000)
        await sql`
          INSERT INTO monitoring_parties (tenant_id, party_id, segment, country, risk, opened_at)
          SELECT ${tenant}, x.id, x.segment, x.country, x.risk, x.opened::timestamptz
          FROM unnest(${chunk.map((p) => p.id)}::text[], ${chunk.map((p) => p.segment)}::text[],
                      ${chunk.map((p) => p.country)}::text[], ${chunk.map((p) => p.risk)}::text[],
                      ${chunk.map((p) => iso(p.openedAt))}::text[]) AS x(id, segment, country, risk, opened)
          ON CONFLICT (tenant_id, party_id) DO UPDATE
          SET segment = excluded.segment, country = excluded.country, risk = excluded.risk, opened_at = excluded.opened_at`.execute(
          db,
        )
      }
    },

    async loadParties(tenant: string): Promise<Party[]> {
      const r = await sql<{
        party_id: string
        segment: Party['segment']
        country: string
        risk: Party['risk']
        opened_at: Date
      }>`
        SELECT party_id, segment, country, risk, opened_at FROM monitoring_parties WHERE tenant_id = ${tenant}`.execute(
        db,
      )
      return r.rows.map((p) => ({
        id: p.party_id,
        segment: p.segment,
        country: p.country,
        risk: p.risk,
        openedAt: new Date(p.opened_at).getTime(),
      }))
    },

    /** Stores transactions (idempotent on txn id); returns the ids that were new. */
    async insertTransactions(
      tx: Db,
      tenant: string,
      txns: readonly MonTxn[],
      outcomes?: readonly { outcome: Outcome; score: number }[],
    ): Promise<Set<string>> {
      const fresh = new Set<string>()
      for (let i = 0; i < txns.length; i += 5000) {
        const c = txns.slice(i, i + 5000)
        const o = outcomes?.slice(i, i + 5000)
        const r = await sql<{ txn_id: string }>`
          INSERT INTO monitoring_transactions (tenant_id, txn_id, at, amount, currency, kind, src, dst, src_country,
            dst_country, src_customer, dst_customer, device, card, address, outcome, score)
          SELECT ${tenant}, x.id, x.at::timestamptz, x.amount::bigint, x.currency, x.kind, x.src, x.dst, x.sc, x.dc,
                 x.scu, x.dcu, x.device, x.card, x.address, x.outcome, x.score::double precision
          FROM unnest(${c.map((t) => t.id)}::text[], ${c.map((t) => iso(t.at))}::text[],
                      ${c.map((t) => t.amount.toString())}::text[], ${c.map((t) => t.currency)}::text[],
                      ${c.map((t) => t.kind)}::text[], ${c.map((t) => t.src)}::text[], ${c.map((t) => t.dst)}::text[],
                      ${c.map((t) => t.srcCountry ?? null)}::text[], ${c.map((t) => t.dstCountry ?? null)}::text[],
                      ${c.map((t) => t.srcCustomer ?? null)}::text[], ${c.map((t) => t.dstCustomer ?? null)}::text[],
                      ${c.map((t) => t.device ?? null)}::text[], ${c.map((t) => t.card ?? null)}::text[], ${c.map((t) => t.address ?? null)}::text[],
                      ${c.map((_, k) => o?.[k]?.outcome ?? null)}::text[], ${c.map((_, k) => (o?.[k] ? String(o[k].score) : null))}::text[])
               AS x(id, at, amount, currency, kind, src, dst, sc, dc, scu, dcu, device, card, address, outcome, score)
          ON CONFLICT (tenant_id, txn_id) DO NOTHING
          RETURNING txn_id`.execute(tx)
        for (const row of r.rows) fresh.add(row.txn_id)
      }
      // the first of a repeated id is the one stored (ON CONFLICT DO NOTHING keeps it)
      if (fresh.size > 0) {
        const pending = new Set(fresh)
        await recordActivity(
          tx,
          tenant,
          txns.filter((t) => pending.delete(t.id)),
        )
      }
      return fresh
    },

    /** Lifetime activity of every account and customer (the snapshot a rebuilt engine starts from). */
    async activity(tenant: string): Promise<EntityActivity[]> {
      const r = await sql<ActivityRow>`
        SELECT kind, entity_id, first_at, last_at, last_in_at, last_out_at, events
        FROM monitoring_entity_activity WHERE tenant_id = ${tenant}`.execute(db)
      return r.rows.map(toActivity)
    },

    /**
     * Which of `ids` are stored already: one primary-key probe per id. Written as `txn_id = ANY(ids)`,
     * a table never analyzed (a server without autovacuum, or one bulk load ahead of it) was planned
     * as a scan of the tenant's whole time index, filtering every stored transaction: 144 ms a call
     * of 2,000 ids at 1M stored against 9 ms probed (docs/risk.md, "Session 27: the database, not
     * the model, was the slow part"). The LIMIT keeps the lateral subquery from being flattened into a join the planner
     * could plan the same way.
     */
    async storedTxnIds(tenant: string, ids: readonly string[]): Promise<Set<string>> {
      const r = await sql<{ txn_id: string }>`
        SELECT m.txn_id FROM unnest(${ids}::text[]) AS u(id)
        CROSS JOIN LATERAL (SELECT txn_id FROM monitoring_transactions
          WHERE tenant_id = ${tenant} AND txn_id = u.id LIMIT 1) AS m`.execute(db)
      return new Set(r.rows.map((row) => row.txn_id))
    },

    /**
     * What an engine replaying from `before` needs of what came before it (FeatureStore's seeds):
     * every account's, customer's, device's, card's and address's activity (point-in-time) and
     * the habits it had formed: ln(amount) statistics per direction (Welford's n, mean and M2) and
     * its counterparties with first and last contact. One query over the stored transactions before
     * `before` (session 28 read them three times, once for the activity and twice for the habits).
     */
    async seedsBefore(
      tenant: string,
      before: number,
    ): Promise<{ activity: EntityActivity[]; habits: EntityHabits[] }> {
      // grouped by counterparty first (first and last contact), then by entity and direction; one
      // row per pair cost ~15 µs each to hand over on PGlite (7.2 s for 406k pairs at 200k
      // transactions; as json per entity 4.2 s, session 28's three reads 4.7 s)
      const r = await sql<SeedRow>`
        SELECT kind, entity_id, dir, sum(n)::int AS n, sum(s1) AS s1, sum(s2) AS s2, min(f) AS first_ms,
               max(l) AS last_ms, json_agg(json_build_array(cp, f, l)) FILTER (WHERE cp IS NOT NULL) AS cps
        FROM (
          SELECT kind, entity_id, dir, cp, count(*) AS n, sum(ln) AS s1, sum(ln * ln) AS s2,
                 (extract(epoch FROM min(at)) * 1000)::float8 AS f, (extract(epoch FROM max(at)) * 1000)::float8 AS l
          FROM (${activitySource(tenant, sql`at < ${iso(before)}::timestamptz`)}) x
          GROUP BY kind, entity_id, dir, cp
        ) y
        GROUP BY kind, entity_id, dir`.execute(db)
      return toSeeds(r.rows)
    },

    /** The time of the tenant's latest stored transaction (index-only: monitoring_transactions_by_time). */
    async latestAt(tenant: string): Promise<number | undefined> {
      const r = await sql<{ hi: Date | null }>`
        SELECT max(at) AS hi FROM monitoring_transactions WHERE tenant_id = ${tenant}`.execute(db)
      const hi = r.rows[0]?.hi
      return hi ? new Date(hi).getTime() : undefined
    },

    /** Transactions in [from, to) in time order, read in pages. */
    async *transactions(tenant: string, from: number, to: number, page = 10_000): AsyncGenerator<MonTxn> {
      for await (const rows of transactionPages(tenant, from, to, page)) yield* rows
    },

    transactionPages,

    /** An account's transactions (as payer or payee) in [from, to], oldest first (cases' SAR facts). */
    async accountTransactions(
      tenant: string,
      account: string,
      from: Date,
      to: Date,
      limit: number,
    ): Promise<MonTxn[]> {
      const r = await sql<TxnRow>`
        SELECT txn_id, at, amount, currency, kind, src, dst, src_country, dst_country, src_customer, dst_customer,
               device, card, address
        FROM monitoring_transactions
        WHERE tenant_id = ${tenant} AND at >= ${from} AND at <= ${to} AND (src = ${account} OR dst = ${account})
        ORDER BY at, txn_id LIMIT ${limit}`.execute(db)
      return r.rows.map(toTxn)
    },

    async txnRange(tenant: string): Promise<{ from: number; to: number; count: number } | undefined> {
      const r = await sql<{ lo: Date | null; hi: Date | null; n: bigint }>`
        SELECT min(at) AS lo, max(at) AS hi, count(*) AS n FROM monitoring_transactions WHERE tenant_id = ${tenant}`.execute(
        db,
      )
      const row = r.rows[0]
      if (!row?.lo || !row.hi) return undefined
      return { from: new Date(row.lo).getTime(), to: new Date(row.hi).getTime(), count: Number(row.n) }
    },

    /**
     * Inserts new alerts and counts repeats of open ones (same dedup key). Returns the alerts that
     * were created (not the repeats).
     */
    async upsertAlerts(
      tx: Db,
      tenant: string,
      alerts: readonly (AlertDraft & { alertId: string })[],
    ): Promise<AlertRecord[]> {
      const created: AlertRecord[] = []
      for (const a of alerts) {
        const r = await sql<AlertRow & { inserted: boolean }>`
          INSERT INTO monitoring_alerts (tenant_id, alert_id, dedup_key, rule_set_version, rule_id, typology, subject,
            outcome, score, reason, txn_id, at, context)
          VALUES (${tenant}, ${a.alertId}, ${a.dedupKey}, ${a.ruleSetVersion}, ${a.ruleId}, ${a.typology ?? null},
            ${a.subject}, ${a.outcome}, ${a.score}, ${a.reason}, ${a.txnId}, ${iso(a.at)}::timestamptz,
            ${JSON.stringify(a.context)}::jsonb)
          ON CONFLICT (tenant_id, dedup_key) DO UPDATE SET hits = monitoring_alerts.hits + 1, updated_at = now()
          RETURNING alert_id, dedup_key, rule_set_version, rule_id, typology, subject, outcome, score, reason, txn_id, at,
            hits, status, context, created_at, (xmax = 0) AS inserted`.execute(tx)
        const row = r.rows[0]!
        if (row.inserted) created.push(toAlert(row))
      }
      return created
    },

    async recordRepeats(tx: Db, tenant: string, keys: readonly string[]): Promise<void> {
      if (keys.length === 0) return
      await sql`UPDATE monitoring_alerts SET hits = hits + 1, updated_at = now()
                WHERE tenant_id = ${tenant} AND dedup_key = ANY(${keys}::text[])`.execute(tx)
    },

    async listAlerts(tenant: string, f: AlertFilter): Promise<AlertRecord[]> {
      const r = await sql<AlertRow>`
        SELECT alert_id, dedup_key, rule_set_version, rule_id, typology, subject, outcome, score, reason, txn_id, at, hits,
               status, context, created_at
        FROM monitoring_alerts
        WHERE tenant_id = ${tenant}
          ${f.ruleId ? sql`AND rule_id = ${f.ruleId}` : sql``}
          ${f.subject ? sql`AND subject = ${f.subject}` : sql``}
          ${f.status ? sql`AND status = ${f.status}` : sql``}
          ${f.from ? sql`AND at >= ${f.from.toISOString()}::timestamptz` : sql``}
          ${f.to ? sql`AND at < ${f.to.toISOString()}::timestamptz` : sql``}
        ORDER BY at DESC, alert_id DESC
        LIMIT ${f.limit ?? 100}`.execute(db)
      return r.rows.map(toAlert)
    },

    async getAlert(tenant: string, alertId: string): Promise<AlertRecord | undefined> {
      const r = await sql<AlertRow>`
        SELECT alert_id, dedup_key, rule_set_version, rule_id, typology, subject, outcome, score, reason, txn_id, at, hits,
               status, context, created_at
        FROM monitoring_alerts WHERE tenant_id = ${tenant} AND alert_id = ${alertId}`.execute(db)
      return r.rows[0] ? toAlert(r.rows[0]) : undefined
    },

    /**
     * The subjects alerted on each day of [from, to) (by the alert's transaction time), one row per
     * subject-day, and one more where a risk model raised an alert of its own (`modelId`).
     */
    async alertedSubjectDays(tenant: string, from: number, to: number): Promise<AlertedSubjectDay[]> {
      const r = await sql<{ subject: string; day: string; model_id: string | null }>`
        SELECT DISTINCT subject, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
               CASE WHEN rule_id = ${MODEL_RULE_ID} THEN context->'model'->>'modelId' END AS model_id
        FROM monitoring_alerts
        WHERE tenant_id = ${tenant} AND at >= ${iso(from)}::timestamptz AND at < ${iso(to)}::timestamptz`.execute(
        db,
      )
      return r.rows.map((x) => ({
        subject: x.subject,
        day: Date.parse(`${x.day}T00:00:00Z`),
        ...(x.model_id !== null ? { modelId: x.model_id } : {}),
      }))
    },

    /**
     * The alerts since `since` as the queue's volume counts them (QueueVolume), in time order: the
     * model's own, or a rule's and whether it entered the queue (not marked outside the budget).
     */
    async recentQueueAlerts(tenant: string, since: number): Promise<QueuedAlertFact[]> {
      const r = await sql<{ subject: string; at: Date; rule_id: string; within: string | null }>`
        SELECT subject, at, rule_id, context->'model'->>'withinBudget' AS within FROM monitoring_alerts
        WHERE tenant_id = ${tenant} AND at >= ${iso(since)}::timestamptz ORDER BY at`.execute(db)
      return r.rows.map((x) => ({
        subject: x.subject,
        at: new Date(x.at).getTime(),
        model: x.rule_id === MODEL_RULE_ID,
        queued: x.within !== 'false',
      }))
    },

    async recentDedupKeys(tenant: string, since: number): Promise<{ key: string; at: number }[]> {
      const r = await sql<{ dedup_key: string; at: Date }>`
        SELECT dedup_key, at FROM monitoring_alerts WHERE tenant_id = ${tenant} AND at >= ${iso(since)}::timestamptz`.execute(
        db,
      )
      return r.rows.map((x) => ({ key: x.dedup_key, at: new Date(x.at).getTime() }))
    },

    async saveLabels(tenant: string, labels: readonly CaseLabel[]): Promise<void> {
      for (const l of labels) {
        await sql`
          INSERT INTO monitoring_labels (tenant_id, case_id, typology, members, primary_members, start_at, end_at)
          VALUES (${tenant}, ${l.id}, ${l.typology}, ${JSON.stringify(l.members)}::jsonb, ${JSON.stringify(l.primary)}::jsonb,
                  ${iso(l.start)}::timestamptz, ${iso(l.end)}::timestamptz)
          ON CONFLICT (tenant_id, case_id) DO UPDATE SET typology = excluded.typology, members = excluded.members,
            primary_members = excluded.primary_members, start_at = excluded.start_at, end_at = excluded.end_at`.execute(
          db,
        )
      }
    },

    async loadLabels(tenant: string): Promise<CaseLabel[]> {
      const r = await sql<{
        case_id: string
        typology: string
        members: string[]
        primary_members: string[]
        start_at: Date
        end_at: Date
      }>`
        SELECT case_id, typology, members, primary_members, start_at, end_at FROM monitoring_labels
        WHERE tenant_id = ${tenant} ORDER BY case_id`.execute(db)
      return r.rows.map((x) => ({
        id: x.case_id,
        typology: x.typology,
        members: x.members,
        primary: x.primary_members,
        start: new Date(x.start_at).getTime(),
        end: new Date(x.end_at).getTime(),
      }))
    },
  }
}

export type MonitoringStore = ReturnType<typeof createMonitoringStore>
