import type { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  exportFromNow,
  generateFraudDataAnalyzed,
  openAnalyticsTestDb,
} from '../../../test/support/analytics.js'
import { describeEachDb, freshTenant } from '../../../test/support/db.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'
import { compactAll } from './compaction.js'
import { DATASETS } from './datasets.js'
import { openDuckDb } from './duckdb.js'
import { createAnalyticsExporter, type ExportStep } from './exporter.js'
import { NATIVE_FILE } from './native.js'
import { FRAUD_QUERIES } from './queries/catalogue.js'
import { createFraudQueries, type ResultRow } from './query.service.js'
import { localSink } from './sink.js'

/** Parameters under which every query finds rows in 16,000 synthetic transactions. */
const PARAMS: Record<string, Record<string, string>> = {
  card_velocity: { window_minutes: '180', min_count: '5' },
  device_velocity: { window_minutes: '1440', min_count: '2' },
  ip_velocity: { window_minutes: '525600', min_count: '2' },
  fan_in: { min_counterparties: '20' },
  fan_out: { min_counterparties: '20' },
  short_cycles: {},
  merchant_ratios: { min_payments: '5' },
  first_counterparty_large: { limit: '40' },
  dormant_then_active: { dormant_days: '7' },
}

/**
 * The native DuckDB file of a compacted generation (ADR 1202): queries read its sorted tables and give
 * the rows PostgreSQL and the Parquet files give — with day files of later (resumed) rounds beside it,
 * after the next compaction rebuilt it, and when it is missing or damaged (then from Parquet).
 */
describeEachDb('analytics native DuckDB file', (target) => {
  let h: DbHandle
  let duck: DuckDBInstance
  let dir: string
  const tenant = freshTenant()
  const exportKey = newId('exp')
  const data = () => join(dir, 'data')
  const tenantDir = (dataset: string) => join(data(), dataset, `tenant_id=${tenant}`)
  const generations = (dataset: string) =>
    readdirSync(tenantDir(dataset)).filter((n) => n.startsWith('compacted='))

  const exporter = (onStep?: (s: ExportStep) => void) =>
    createAnalyticsExporter({
      db: h.db,
      pool: h.pool,
      duck,
      sink: localSink(data()),
      stagingDir: join(dir, 'staging'),
      exportKey,
      chunkSpan: 3_000n,
      ...(onStep ? { onStep } : {}),
    })

  async function run(
    name: string,
    engine: 'duckdb' | 'postgres',
    parquetOnly = false,
    instance = duck,
  ): Promise<ResultRow[]> {
    const q = createFraudQueries({
      db: h.db,
      duck: () => Promise.resolve(instance),
      dir: data(),
      parquetOnly,
    })
    const rows: ResultRow[] = []
    for await (const b of (await q.run(name, tenant, PARAMS[name] ?? {}, engine)).batches) rows.push(...b)
    return rows
  }

  /** Every query: DuckDB over the native file, DuckDB over Parquet alone, PostgreSQL — the same rows. */
  async function expectAllIdentical(instance = duck): Promise<void> {
    for (const { name } of FRAUD_QUERIES) {
      const pg = await run(name, 'postgres')
      expect(pg.length, name).toBeGreaterThan(0)
      expect(await run(name, 'duckdb', false, instance), name).toEqual(pg)
      expect(await run(name, 'duckdb', true, instance), name).toEqual(pg)
    }
  }

  /** The native files of a dataset's generations this DuckDB instance has attached. */
  async function attached(instance = duck, dataset = 'transactions'): Promise<string[]> {
    const conn = await instance.connect()
    try {
      const r = await conn.runAndReadAll(
        `SELECT path FROM duckdb_databases() WHERE path LIKE '%/${dataset}/%${NATIVE_FILE}' ORDER BY path`,
      )
      return r.getRowObjectsJS().map((x) => x['path'] as string)
    } finally {
      conn.closeSync()
    }
  }

  async function nativeCount(generation: string): Promise<number> {
    const conn = await duck.connect()
    try {
      const file = join(tenantDir('transactions'), generation, NATIVE_FILE)
      const r = await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM read_parquet('${join(tenantDir('transactions'), generation, 'part.parquet')}')) AS parquet`,
      )
      await conn.run(`ATTACH '${file}' AS counted (READ_ONLY)`)
      const n = await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM counted.by_amount) AS a, (SELECT count(*) FROM counted.by_card) AS c`,
      )
      await conn.run('DETACH counted')
      const [row] = n.getRowObjectsJS()
      expect(Number(row!['a'])).toBe(Number(r.getRowObjectsJS()[0]!['parquet']))
      expect(Number(row!['c'])).toBe(Number(row!['a']))
      return Number(row!['a'])
    } finally {
      conn.closeSync()
    }
  }

  beforeAll(async () => {
    h = await openAnalyticsTestDb(target)
    duck = await openDuckDb({ threads: 2 })
    dir = mkdtempSync(join(tmpdir(), 'moneta-native-'))
    await exportFromNow(h.db, exportKey)
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 8_000, total: 16_000 })
  }, 120_000)

  afterAll(async () => {
    duck?.closeSync()
    await h?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('is written with each generation, read beside later day files, rebuilt at the next compaction, never stale', async () => {
    const first = await exporter().exportOnce()
    await compactAll(duck, data(), first.to)
    // only the datasets with projections get one; it holds exactly the generation's rows
    for (const d of DATASETS)
      expect(existsSync(join(tenantDir(d.name), `compacted=${first.to}`, NATIVE_FILE)), d.name).toBe(
        (d.projections?.length ?? 0) > 0,
      )
    const pg = async () =>
      Number(
        (
          await sql<{
            n: bigint
          }>`SELECT count(*) AS n FROM monitoring_transactions WHERE tenant_id = ${tenant}`.execute(h.db)
        ).rows[0]!.n,
      )
    expect(await nativeCount(`compacted=${first.to}`)).toBe(await pg())
    await expectAllIdentical()
    expect(await attached()).toEqual([join(tenantDir('transactions'), `compacted=${first.to}`, NATIVE_FILE)])
    // payments (keyed: one version per payment in the generation) has one too, read by merchant_ratios
    expect(await attached(duck, 'payments')).toEqual([
      join(tenantDir('payments'), `compacted=${first.to}`, NATIVE_FILE),
    ])

    // more rows, exported by a round that crashes halfway through publishing and is resumed: the
    // generation's native file is unchanged and the new rows are read from the day files beside it
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 8_000, offset: 8_000, total: 16_000 })
    await sql`UPDATE payments SET amount_refunded = amount WHERE tenant_id = ${tenant}
      AND payment_id IN ('pay_0000000010', 'pay_0000000020')`.execute(h.db)
    let seen = 0
    await expect(
      exporter((s) => {
        if (s === 'published-file' && ++seen === 2) throw new Error('crash')
      }).exportOnce(),
    ).rejects.toThrow('crash')
    const second = await exporter().exportOnce()
    expect(second.resumed).toBe(true)
    expect(await nativeCount(`compacted=${first.to}`)).toBeLessThan(await pg())
    await expectAllIdentical()

    // the next compaction writes a new generation with its own native file; readers switch to it and
    // the superseded file is detached once no query uses it
    await compactAll(duck, data(), second.to)
    expect(generations('transactions')).toEqual([`compacted=${first.to}`, `compacted=${second.to}`])
    expect(await nativeCount(`compacted=${second.to}`)).toBe(await pg())
    await expectAllIdentical()
    expect(await attached()).toEqual([join(tenantDir('transactions'), `compacted=${second.to}`, NATIVE_FILE)])
    // no temporary file left behind by a build
    expect(readdirSync(join(tenantDir('transactions'), `compacted=${second.to}`)).sort()).toEqual([
      NATIVE_FILE,
      'part.parquet',
    ])
  }, 300_000)

  it('is built for a generation compacted without it, and a missing or damaged one leaves the queries on Parquet', async () => {
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 2_000, offset: 16_000, total: 18_000 })
    const third = await exporter().exportOnce()
    await compactAll(duck, data(), third.to, undefined, { native: false })
    const generation = join(tenantDir('transactions'), `compacted=${third.to}`)
    expect(existsSync(join(generation, NATIVE_FILE))).toBe(false)
    await expectAllIdentical() // no native file: Parquet
    expect(await attached()).toEqual([])

    await compactAll(duck, data(), third.to) // nothing new: only the missing native file is built
    expect(existsSync(join(generation, NATIVE_FILE))).toBe(true)
    await expectAllIdentical()
    expect(await attached()).toEqual([join(generation, NATIVE_FILE)])

    // a damaged file (another process's instance, which has not attached it yet): Parquet answers
    writeFileSync(join(generation, NATIVE_FILE), 'not a database')
    const fresh = await openDuckDb({ threads: 1 })
    try {
      await expectAllIdentical(fresh)
      expect(await attached(fresh)).toEqual([])
    } finally {
      fresh.closeSync()
    }
  }, 300_000)
})
