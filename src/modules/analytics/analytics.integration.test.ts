import type { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant } from '../../../test/support/db.js'
import { openAnalyticsTestDb } from '../../../test/support/analytics.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { compactAll } from './compaction.js'
import { createAnalyticsExporter, type ExportStep } from './exporter.js'
import { openDuckDb } from './duckdb.js'
import { createFraudQueries, type FraudQueries, type ResultRow } from './query.service.js'
import { FRAUD_QUERIES } from './queries/catalogue.js'
import { localSink } from './sink.js'
import { generateFraudData } from './synthetic.js'

/** Parameters that make every query find something in 60,000 synthetic transactions. */
const PARAMS: Record<string, Record<string, string>> = {
  card_velocity: { window_minutes: '180', min_count: '10' },
  device_velocity: { window_minutes: '1440', min_count: '2' },
  ip_velocity: { window_minutes: '525600', min_count: '2' },
  fan_in: { min_counterparties: '95' },
  fan_out: { min_counterparties: '95' },
  short_cycles: {},
  merchant_ratios: {},
  first_counterparty_large: {},
  dormant_then_active: {},
}

class Crash extends Error {}

/** Throws at the n-th time `at` is reached: the process "dies" there. */
const crashAt = (at: ExportStep, n = 1) => {
  let seen = 0
  return (step: ExportStep) => {
    if (step === at && ++seen === n) throw new Crash(`crash at ${at} #${n}`)
  }
}

async function collect(
  q: FraudQueries,
  name: string,
  tenant: string,
  engine: 'duckdb' | 'postgres',
): Promise<ResultRow[]> {
  const r = await q.run(name, tenant, PARAMS[name] ?? {}, engine)
  const rows: ResultRow[] = []
  for await (const batch of r.batches) rows.push(...batch)
  return rows
}

describeEachDb('analytics export and fraud queries', (target) => {
  let h: DbHandle
  let duck: DuckDBInstance
  let dir: string
  const tenant = freshTenant()
  const other = freshTenant()
  const exportKey = newId('exp')

  const exporter = (onStep?: (s: ExportStep) => void) =>
    createAnalyticsExporter({
      db: h.db,
      pool: h.pool,
      duck,
      sink: localSink(join(dir, 'data')),
      stagingDir: join(dir, 'staging'),
      exportKey,
      chunkSpan: 7_000n, // several chunks per round, so a crash can land between them
      ...(onStep ? { onStep } : {}),
    })

  /** Counts, distinct keys and amount sums of one tenant's Parquet rows of a dataset. */
  async function parquetStats(dataset: string, tenantId: string, key: string, amount: string) {
    const conn = await duck.connect()
    try {
      const r = await conn.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT ${key}) AS keys, coalesce(sum(${amount}), 0)::BIGINT AS total
         FROM read_parquet('${join(dir, 'data', dataset, `tenant_id=${tenantId}`, '*', '*.parquet')}')`,
      )
      const [row] = r.getRowObjectsJS()
      return { n: Number(row!['n']), keys: Number(row!['keys']), total: BigInt(row!['total'] as bigint) }
    } finally {
      conn.closeSync()
    }
  }

  beforeAll(async () => {
    h = await openAnalyticsTestDb(target)
    duck = await openDuckDb({ threads: 1 })
    dir = mkdtempSync(join(tmpdir(), 'moneta-analytics-'))
    await generateFraudData(h.db, { tenantId: tenant, rows: 30_000 })
    await generateFraudData(h.db, { tenantId: other, rows: 5_000, seed: 11 })
  }, 120_000)

  afterAll(async () => {
    duck?.closeSync()
    await h?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('resumes after a crash while reading, once staged and halfway through publishing, with no duplicate or missing row', async () => {
    await expect(exporter(crashAt('read-chunk', 3)).exportOnce()).rejects.toThrow(Crash)
    expect((await exporter().status())?.pendingPhase).toBe('reading')
    // more rows commit between the crash and the resumed round: they belong to the next round
    await generateFraudData(h.db, { tenantId: tenant, rows: 30_000, offset: 30_000 })
    const first = await exporter().exportOnce()
    expect(first.resumed).toBe(true)

    await sql`UPDATE payments SET amount_refunded = amount WHERE tenant_id = ${tenant} AND payment_id = 'pay_0000000010'`.execute(
      h.db,
    )
    await expect(exporter(crashAt('staged')).exportOnce()).rejects.toThrow(Crash)
    await expect(exporter(crashAt('published-file', 2)).exportOnce()).rejects.toThrow(Crash)
    const second = await exporter().exportOnce()
    expect(second.resumed).toBe(true)
    expect(second.from).toBe(first.to)
    // Round totals count every tenant's rows: on PGlite the database is this suite's own, but on the
    // shared PostgreSQL server other suites commit monitoring rows meanwhile, so there they are lower bounds
    // and the per-tenant checks below (no duplicate, none missing) carry the proof.
    const privateDb = target.name === 'pglite'
    if (privateDb) expect(second.rows.transactions).toBe(30_000)
    else expect(second.rows.transactions).toBeGreaterThanOrEqual(30_000)
    const exported = await parquetStats('transactions', tenant, 'txn_id', 'amount')
    const third = await exporter().exportOnce() // nothing new of ours
    if (privateDb) expect(third.rows.transactions).toBe(0)
    expect(await parquetStats('transactions', tenant, 'txn_id', 'amount')).toEqual(exported)

    for (const t of [tenant, other]) {
      const pg = await sql<{ n: bigint; total: bigint }>`SELECT count(*) AS n, sum(amount)::bigint AS total
        FROM monitoring_transactions WHERE tenant_id = ${t}`.execute(h.db)
      const pq = await parquetStats('transactions', t, 'txn_id', 'amount')
      expect(pq).toEqual({
        n: Number(pg.rows[0]!.n),
        keys: Number(pg.rows[0]!.n),
        total: BigInt(pg.rows[0]!.total),
      })
      const le = await sql<{
        n: bigint
      }>`SELECT count(*) AS n FROM ledger_entries WHERE tenant_id = ${t}`.execute(h.db)
      const lq = await parquetStats('ledger_entries', t, `account_id || '/' || seq`, 'posted_delta')
      expect([lq.n, lq.keys]).toEqual([Number(le.rows[0]!.n), Number(le.rows[0]!.n)])
    }
    // the updated payment is there twice (two versions); readers keep the latest
    const pay = await parquetStats('payments', tenant, 'payment_id', 'amount')
    expect(pay.n).toBe(pay.keys + 1)
  }, 180_000)

  it.each(FRAUD_QUERIES.map((q) => q.name))(
    '%s gives identical, non-empty results on DuckDB and PostgreSQL',
    async (name) => {
      const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: join(dir, 'data') })
      const onDuck = await collect(q, name, tenant, 'duckdb')
      const onPg = await collect(q, name, tenant, 'postgres')
      expect(onDuck.length).toBeGreaterThan(0)
      expect(onDuck).toEqual(onPg)
      // the other tenant sees its own rows only
      const otherDuck = await collect(q, name, other, 'duckdb')
      expect(otherDuck).toEqual(await collect(q, name, other, 'postgres'))
      expect(otherDuck).not.toEqual(onDuck)
    },
    60_000,
  )

  it('gives the same rows on the compacted layout (amount bands, then time), for limits and periods that take several time windows', async () => {
    const upTo = (await exporter().status())!.watermark
    await compactAll(duck, join(dir, 'data'), upTo)
    const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: join(dir, 'data') })
    const both = async (name: string, params: Record<string, string>) => {
      const [d, p] = await Promise.all(
        (['duckdb', 'postgres'] as const).map(async (engine) => {
          const rows: ResultRow[] = []
          for await (const b of (await q.run(name, tenant, params, engine)).batches) rows.push(...b)
          return rows
        }),
      )
      expect(d).toEqual(p)
      return d!
    }
    for (const name of FRAUD_QUERIES.map((x) => x.name)) await both(name, PARAMS[name] ?? {})
    const spring = { from: '2025-03-01', to: '2025-06-01' }
    for (const params of [{ limit: '1' }, { limit: '37' }, { limit: '250', ...spring }])
      expect((await both('first_counterparty_large', params)).length).toBeGreaterThan(0)
    // a threshold every transfer passes: the history check, not the amount bands, decides
    expect(await both('first_counterparty_large', { min_amount: '1', limit: '50', ...spring })).toHaveLength(
      50,
    )
    expect((await both('short_cycles', { min_amount: '2000000', ...spring })).length).toBeGreaterThan(0)
  }, 300_000)

  it("velocity: DuckDB's two passes give PostgreSQL's one-pass rows at window edges and timestamp ties", async () => {
    // DuckDB first keeps entities whose row N-1 places back is within the window (velocity.ts):
    // rows exactly window_minutes apart, several rows at one instant, and min_count 1 are its edges.
    const edge = freshTenant()
    // card, minutes after 2025-02-01 00:00 UTC, amount
    const rows: [string, number, number][] = [
      ['c_tie', 0, 100],
      ['c_tie', 0, 200],
      ['c_tie', 0, 300],
      ['c_edge', 0, 10],
      ['c_edge', 60, 20],
      ['c_edge', 120, 40],
      ['c_edge', 121, 80],
      ['c_spread', 0, 5],
      ['c_spread', 61, 6],
      ['c_spread', 122, 7],
      ['c_mixed', 10, 1],
      ['c_mixed', 70, 2],
      ['c_mixed', 70, 3],
      ['c_mixed', 130, 4],
    ]
    for (const [i, [card, minutes, amount]] of rows.entries())
      await sql`INSERT INTO monitoring_transactions (tenant_id, txn_id, at, amount, currency, kind, src, dst,
          src_country, dst_country, device, card, address, outcome, score)
        VALUES (${edge}, ${`txn_edge_${i}`}, timestamptz '2025-02-01 00:00:00+00' + make_interval(mins => ${minutes}),
          ${amount}, 'EUR', 'transfer', 'acc_a', 'acc_b', 'DE', 'DE', ${card}, ${card}, ${card}, 'allow', 1)`.execute(
        h.db,
      )
    await exporter().exportOnce()
    const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: join(dir, 'data') })
    const run = async (name: string, params: Record<string, string>, engine: 'duckdb' | 'postgres') => {
      const out: ResultRow[] = []
      for await (const b of (await q.run(name, edge, params, engine)).batches) out.push(...b)
      return out
    }
    // on day files (partitioned windows), then on a compacted generation's native tables stored
    // sorted by entity and time (streamed lag, session 17)
    for (const layout of ['day files', 'native file']) {
      if (layout === 'native file')
        await compactAll(duck, join(dir, 'data'), (await exporter().status())!.watermark)
      let found = 0
      for (const name of ['card_velocity', 'device_velocity', 'ip_velocity'])
        for (const window_minutes of ['1', '60', '61', '1440'])
          for (const min_count of ['1', '2', '3', '4', '5']) {
            const params = { window_minutes, min_count }
            const onDuck = await run(name, params, 'duckdb')
            expect(onDuck, `${layout} ${name} ${window_minutes} ${min_count}`).toEqual(
              await run(name, params, 'postgres'),
            )
            found += onDuck.length
          }
      expect(found).toBeGreaterThan(0)
      // the ties count together: three rows at one instant reach 3 even in a 1-minute window
      expect(await run('card_velocity', { window_minutes: '1', min_count: '3' }, 'duckdb')).toEqual([
        { entity: 'c_tie', max_count: '3', max_amount: '600', transactions: '3' },
      ])
    }
  }, 180_000)

  it("dormant_then_active: PostgreSQL's index probe and DuckDB's ASOF join agree on gaps, ties and first transfers", async () => {
    // Two large transfers of one sender at one instant: only the first by id has the long gap
    // (the second's previous one is the first, a gap of zero); a sender's first transfer has no gap.
    const t = freshTenant()
    // txn id, sender, days after 2025-01-01, amount
    const rows: [string, string, number, number][] = [
      ['txn_d_0', 'acc_sleeper', 0, 50],
      ['txn_d_b', 'acc_sleeper', 120, 300_000],
      ['txn_d_a', 'acc_sleeper', 120, 300_000],
      ['txn_d_c', 'acc_sleeper', 300, 300_000],
      ['txn_d_1', 'acc_busy', 0, 50],
      ['txn_d_2', 'acc_busy', 60, 300_000],
      ['txn_d_3', 'acc_new', 200, 300_000],
    ]
    for (const [id, src, days, amount] of rows)
      await sql`INSERT INTO monitoring_transactions (tenant_id, txn_id, at, amount, currency, kind, src, dst,
          src_country, dst_country, device, card, address, outcome, score)
        VALUES (${t}, ${id}, timestamptz '2025-01-01 00:00:00+00' + make_interval(days => ${days}),
          ${amount}, 'EUR', 'transfer', ${src}, 'acc_x', 'DE', 'DE', 'd', 'c', 'a', 'allow', 1)`.execute(h.db)
    await exporter().exportOnce()
    const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: join(dir, 'data') })
    const run = async (params: Record<string, string>, engine: 'duckdb' | 'postgres') => {
      const out: ResultRow[] = []
      for await (const b of (await q.run('dormant_then_active', t, params, engine)).batches) out.push(...b)
      return out
    }
    // on day files (ASOF join), then on a compacted generation's sender table stored sorted by
    // sender, time and id (streamed lag, session 17)
    for (const layout of ['day files', 'native file']) {
      if (layout === 'native file')
        await compactAll(duck, join(dir, 'data'), (await exporter().status())!.watermark)
      for (const dormant_days of ['1', '59', '60', '61', '120', '180'])
        for (const extra of [{}, { from: '2025-03-01' }, { to: '2025-05-01T00:00:00Z' }]) {
          const params = { dormant_days, ...extra }
          expect(await run(params, 'duckdb'), `${layout} ${JSON.stringify(params)}`).toEqual(
            await run(params, 'postgres'),
          )
        }
      expect((await run({ dormant_days: '90' }, 'duckdb')).map((r) => r['txn_id'])).toEqual([
        'txn_d_a',
        'txn_d_c',
      ])
    }
  }, 240_000)

  it('refuses unknown queries, unknown or out-of-range parameters, and unsafe tenant ids', async () => {
    const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: join(dir, 'data') })
    await expect(q.run('nope', tenant, {})).rejects.toMatchObject({ code: 'ANALYTICS_UNKNOWN_QUERY' })
    await expect(q.run('fan_in', tenant, { bogus: '1' })).rejects.toMatchObject({
      code: 'ANALYTICS_INVALID_PARAMS',
    })
    await expect(q.run('fan_in', tenant, { limit: '0' })).rejects.toMatchObject({
      code: 'ANALYTICS_INVALID_PARAMS',
    })
    await expect(q.run('fan_in', tenant, { from: 'yesterday' })).rejects.toMatchObject({
      code: 'ANALYTICS_INVALID_PARAMS',
    })
    await expect(q.run('fan_in', '../x', {})).rejects.toMatchObject({ code: 'ANALYTICS_INVALID_TENANT' })
  })
})
