import type { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
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
import { compactAll, currentFiles } from './compaction.js'
import { openDuckDb } from './duckdb.js'
import { createAnalyticsExporter } from './exporter.js'
import { createFraudQueries, type ResultRow } from './query.service.js'
import { localSink } from './sink.js'

/**
 * Compaction folds the day files into one file per tenant and dataset; readers switch generation in
 * one rename and never count a row twice or miss one — before, between and after compactions.
 */
describeEachDb('analytics compaction', (target) => {
  let h: DbHandle
  let duck: DuckDBInstance
  let dir: string
  const tenant = freshTenant()
  const exportKey = newId('exp')
  const data = () => join(dir, 'data')
  const tenantDir = (dataset: string) => join(data(), dataset, `tenant_id=${tenant}`)

  const exportRound = () =>
    createAnalyticsExporter({
      db: h.db,
      pool: h.pool,
      duck,
      sink: localSink(data()),
      stagingDir: join(dir, 'staging'),
      exportKey,
    }).exportOnce()

  async function parquetCount(dataset: string): Promise<number> {
    const files = currentFiles(tenantDir(dataset))
    const conn = await duck.connect()
    try {
      const list = files.map((f) => `'${f}'`).join(', ')
      const r = await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet([${list}])`)
      return Number(r.getRowObjectsJS()[0]!['n'])
    } finally {
      conn.closeSync()
    }
  }
  async function pgCount(table = 'monitoring_transactions'): Promise<number> {
    const r = await sql<{
      n: bigint
    }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE tenant_id = ${tenant}`.execute(h.db)
    return Number(r.rows[0]!.n)
  }
  async function run(name: string, engine: 'duckdb' | 'postgres'): Promise<ResultRow[]> {
    const q = createFraudQueries({ db: h.db, duck: () => Promise.resolve(duck), dir: data() })
    const rows: ResultRow[] = []
    const params = name === 'merchant_ratios' ? { min_payments: '5' } : { min_counterparties: '20' }
    for await (const b of (await q.run(name, tenant, params, engine)).batches) rows.push(...b)
    return rows
  }

  beforeAll(async () => {
    h = await openAnalyticsTestDb(target)
    duck = await openDuckDb({ threads: 1 })
    dir = mkdtempSync(join(tmpdir(), 'moneta-compact-'))
    await exportFromNow(h.db, exportKey)
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 8_000, total: 16_000 })
  }, 120_000)

  afterAll(async () => {
    duck?.closeSync()
    await h?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('keeps every row exactly once across exports and compactions, and the queries identical', async () => {
    const first = await exportRound()
    const dayFilesBefore = currentFiles(tenantDir('transactions')).length
    expect(dayFilesBefore).toBeGreaterThan(10)

    const folded = await compactAll(duck, data(), first.to)
    expect(folded['transactions']).toBe(dayFilesBefore)
    expect(currentFiles(tenantDir('transactions'))).toHaveLength(1)
    expect(await parquetCount('transactions')).toBe(await pgCount())

    // a later round adds day files after the generation; they are read beside it, not twice
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 8_000, offset: 8_000, total: 16_000 })
    // payments updated after the first round: the second exports their new versions
    await sql`UPDATE payments SET amount_refunded = amount WHERE tenant_id = ${tenant}
      AND payment_id IN ('pay_0000000010', 'pay_0000000020')`.execute(h.db)
    const second = await exportRound()
    expect(currentFiles(tenantDir('transactions')).length).toBeGreaterThan(1)
    expect(await parquetCount('transactions')).toBe(await pgCount())
    expect(await run('fan_in', 'duckdb')).toEqual(await run('fan_in', 'postgres'))

    // the second compaction switches generation; the first one's day files are garbage now, and
    // those it replaced itself wait for the next compaction (a query may still be reading them)
    await compactAll(duck, data(), second.to)
    expect(currentFiles(tenantDir('transactions'))).toHaveLength(1)
    expect(await parquetCount('transactions')).toBe(await pgCount())
    const generations = readdirSync(tenantDir('transactions')).filter((n) => n.startsWith('compacted='))
    expect(generations).toEqual([`compacted=${first.to}`, `compacted=${second.to}`])
    expect(existsSync(join(tenantDir('transactions'), `compacted=${first.to}`))).toBe(true)
    expect(await run('fan_in', 'duckdb')).toEqual(await run('fan_in', 'postgres'))
    // keyed rows: one per key in the generation (read without dedup), and the latest version
    expect(await parquetCount('payments')).toBe(await pgCount('payments'))
    expect(await run('merchant_ratios', 'duckdb')).toEqual(await run('merchant_ratios', 'postgres'))
    // nothing new to fold: the garbage of the last switch goes all the same — the first generation,
    // the day files the second covered, and the day directories left empty (readers list them all)
    expect(await compactAll(duck, data(), second.to)).toMatchObject({ transactions: 0 })
    expect(readdirSync(tenantDir('transactions'))).toEqual([`compacted=${second.to}`])
    expect(await parquetCount('transactions')).toBe(await pgCount())
    expect(await run('fan_in', 'duckdb')).toEqual(await run('fan_in', 'postgres'))
  }, 180_000)
})
