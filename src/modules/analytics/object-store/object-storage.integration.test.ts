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
} from '../../../../test/support/analytics.js'
import { describeEachDb, freshTenant } from '../../../../test/support/db.js'
import { startS3Server, type S3TestServer } from '../../../../test/support/s3-server.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { newId } from '../../../shared/ids.js'
import { createAnalytics, type Analytics } from '../analytics.service.js'
import { currentFiles, selectCurrent } from '../compaction.js'
import { openDuckDb } from '../duckdb.js'
import { FRAUD_QUERIES } from '../queries/catalogue.js'
import type { ResultRow } from '../query.service.js'
import { createS3ObjectStore, type S3StoreOptions } from './s3.client.js'

const BUCKET = 'moneta-analytics'
const ACCESS_KEY = 'test-access-key'
const PARAMS: Record<string, Record<string, string>> = {
  fan_in: { min_counterparties: '20' },
  fan_out: { min_counterparties: '20' },
  merchant_ratios: { min_payments: '5' },
}

/**
 * S3-compatible storage through the official SDK against our S3-protocol server (pages of 2 keys):
 * the store holds the durable copy and each process's directory is a mirror DuckDB reads (ADR 1201).
 */
describeEachDb('analytics on S3-compatible object storage', (target) => {
  let h: DbHandle
  let server: S3TestServer
  let duck: DuckDBInstance
  let dir: string
  const tenant = freshTenant()
  const exportKey = newId('exp')
  const prefix = `lake/${exportKey}`
  const opened: Analytics[] = []

  /** An analytics instance with its own local directory, as another process would have. */
  const storeAt = (over: Partial<S3StoreOptions> = {}) =>
    createS3ObjectStore({
      bucket: BUCKET,
      prefix,
      endpoint: server.url,
      region: 'us-east-1',
      accessKeyId: ACCESS_KEY,
      secretAccessKey: 'test-secret-key',
      ...over,
    })
  const open = (name: string, store: Partial<S3StoreOptions> = {}): Analytics => {
    const a = createAnalytics({
      db: h.db,
      pool: h.pool,
      dir: join(dir, name),
      exportKey,
      duck: { threads: 1 },
      objectStore: storeAt(store),
    })
    opened.push(a)
    return a
  }
  const tenantPrefix = (dataset: string) => `${dataset}/tenant_id=${tenant}/`
  /** The tenant's keys of a dataset in the store, relative to the prefix. */
  const remoteKeys = (dataset: string): string[] =>
    [...server.objects(BUCKET).keys()]
      .filter((k) => k.startsWith(`${prefix}/${tenantPrefix(dataset)}`))
      .map((k) => k.slice(prefix.length + 1))
      .sort()
  /** The tenant's files of a dataset in a local directory, as keys. */
  /** A mirror's Parquet files (its generations' native DuckDB files are local caches: ADR 1202). */
  const localKeys = (name: string, dataset: string): string[] => {
    const base = join(dir, name, dataset, `tenant_id=${tenant}`)
    if (!existsSync(base)) return []
    return readdirSync(base)
      .flatMap((n) =>
        readdirSync(join(base, n))
          .filter((f) => f.endsWith('.parquet'))
          .map((f) => `${tenantPrefix(dataset)}${n}/${f}`),
      )
      .sort()
  }
  async function rows(
    a: Analytics,
    name: string,
    engine: 'duckdb' | 'postgres' = 'duckdb',
  ): Promise<ResultRow[]> {
    const out: ResultRow[] = []
    for await (const b of (await a.query(name, tenant, PARAMS[name] ?? {}, engine)).batches) out.push(...b)
    return out
  }
  /** Rows and distinct keys of the files a reader of `name`'s directory uses. */
  async function mirrored(name: string, dataset: string, key: string): Promise<{ n: number; keys: number }> {
    const files = currentFiles(join(dir, name, dataset, `tenant_id=${tenant}`))
    const conn = await duck.connect()
    try {
      const r = await conn.runAndReadAll(
        `SELECT count(*) AS n, count(DISTINCT ${key}) AS keys FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}])`,
      )
      const row = r.getRowObjectsJS()[0]!
      return { n: Number(row['n']), keys: Number(row['keys']) }
    } finally {
      conn.closeSync()
    }
  }
  async function pgCount(table: string): Promise<number> {
    const r = await sql<{
      n: bigint
    }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE tenant_id = ${tenant}`.execute(h.db)
    return Number(r.rows[0]!.n)
  }

  beforeAll(async () => {
    h = await openAnalyticsTestDb(target)
    server = await startS3Server({ accessKeyId: ACCESS_KEY, buckets: [BUCKET], pageSize: 2 })
    duck = await openDuckDb({ threads: 1 })
    dir = mkdtempSync(join(tmpdir(), 'moneta-s3-analytics-'))
    await exportFromNow(h.db, exportKey)
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 6_000, total: 12_000 })
  }, 120_000)

  afterAll(async () => {
    for (const a of opened) a.close()
    duck?.closeSync()
    await h?.close()
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('exports to the store; a round whose upload failed is published by the resumed round, with no duplicate or missing row', async () => {
    const a = open('a')
    let puts = 0
    // the 4th upload fails, and its retries: three files are in the store, the rest still staged
    server.fault = (op) => op === 'PutObject' && ++puts > 3
    await expect(a.exportOnce()).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining('InternalError') as string,
    })
    expect(server.objects(BUCKET).size).toBe(3)
    expect(await a.exportStatus()).toMatchObject({ pendingPhase: 'staged' })
    server.fault = undefined

    const round = await a.exportOnce()
    expect(round.resumed).toBe(true)
    for (const d of ['transactions', 'payments', 'ledger_entries']) {
      expect(remoteKeys(d).length).toBeGreaterThan(0)
      expect(remoteKeys(d)).toEqual(localKeys('a', d))
    }
  }, 120_000)

  it('answers from another process with an empty directory with the same rows as the exporting one and PostgreSQL', async () => {
    const a = opened[0]!
    const b = open('b')
    for (const q of FRAUD_QUERIES) {
      const onB = await rows(b, q.name)
      expect(onB).toEqual(await rows(a, q.name))
      expect(onB).toEqual(await rows(b, q.name, 'postgres'))
    }
    expect((await rows(b, 'fan_in')).length).toBeGreaterThan(0)
    expect((await rows(b, 'merchant_ratios')).length).toBeGreaterThan(0)
    // the mirror took every row once
    expect(await mirrored('b', 'transactions', 'txn_id')).toEqual({
      n: await pgCount('monitoring_transactions'),
      keys: await pgCount('monitoring_transactions'),
    })
    expect((await mirrored('b', 'payments', 'payment_id')).keys).toBe(await pgCount('payments'))
    expect(localKeys('b', 'transactions')).toEqual(remoteKeys('transactions'))
    // up to date: a query lists again but downloads nothing
    const gets = server.calls['GetObject'] ?? 0
    await rows(b, 'fan_in')
    expect(server.calls['GetObject']).toBe(gets)
  }, 180_000)

  it('compacts into the store: its generations uploaded, the day files they replaced deleted there, other objects kept', async () => {
    const [a, b] = opened as [Analytics, Analytics]
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'not analytics')
    const keeper = storeAt()
    await keeper.upload(notes, 'notes/keep.txt')
    keeper.close()

    // the first compaction on a process with an empty directory (it takes the store's files first),
    // the second on the exporting one (it takes the first's generation)
    const first = await open('k').compact()
    expect(first.files['transactions']).toBeGreaterThan(0)
    expect(remoteKeys('transactions')).toContain(
      `${tenantPrefix('transactions')}compacted=${first.upTo}/part.parquet`,
    )
    expect(remoteKeys('transactions')).toEqual(localKeys('k', 'transactions'))
    // the generation's native DuckDB file stays on the node that compacted: a cache, not uploaded
    expect(
      existsSync(
        join(dir, 'k', 'transactions', `tenant_id=${tenant}`, `compacted=${first.upTo}`, 'native.duckdb'),
      ),
    ).toBe(true)
    expect(remoteKeys('transactions').some((k) => k.endsWith('.duckdb'))).toBe(false)
    const replaced = remoteKeys('transactions').filter((k) => k.includes('/day='))
    expect(replaced.length).toBeGreaterThan(0)

    // a second round and compaction: the first generation's day files are garbage now, in both places
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 6_000, offset: 6_000, total: 12_000 })
    await sql`UPDATE payments SET amount_refunded = amount WHERE tenant_id = ${tenant}
      AND payment_id IN ('pay_0000000010', 'pay_0000000020')`.execute(h.db)
    await a.exportOnce()
    const second = await a.compact()
    for (const d of ['transactions', 'payments']) expect(remoteKeys(d)).toEqual(localKeys('a', d))
    const remote = remoteKeys('transactions')
    for (const k of replaced) expect(remote).not.toContain(k)
    expect(remote.filter((k) => k.includes('/compacted='))).toEqual(
      [
        `${tenantPrefix('transactions')}compacted=${first.upTo}/part.parquet`,
        `${tenantPrefix('transactions')}compacted=${second.upTo}/part.parquet`,
      ].sort(),
    )
    expect(server.objects(BUCKET).has(`${prefix}/notes/keep.txt`)).toBe(true)

    // the other process takes the new generation; a fresh one downloads only the files a reader uses
    const c = open('c')
    for (const name of ['fan_in', 'merchant_ratios']) {
      const onPg = await rows(a, name, 'postgres')
      expect(await rows(b, name)).toEqual(onPg)
      expect(await rows(c, name)).toEqual(onPg)
    }
    const current = (d: string) =>
      selectCurrent(remoteKeys(d).map((k) => k.slice(tenantPrefix(d).length))).map((p) => tenantPrefix(d) + p)
    expect(localKeys('c', 'transactions')).toEqual(current('transactions'))
    expect(localKeys('c', 'payments')).toEqual(current('payments'))
  }, 180_000)

  it('refuses with ANALYTICS_STORAGE_FAILED, naming the cause, when the store refuses the key or has no such bucket', async () => {
    const wrongKey = open('wrong', { accessKeyId: 'wrong-access-key' })
    const failure = (why: string) => ({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining(why) as string,
    })
    await expect(wrongKey.query('fan_in', tenant, PARAMS['fan_in']!)).rejects.toMatchObject(
      failure('InvalidAccessKeyId'),
    )
    await expect(wrongKey.compact()).rejects.toMatchObject(failure('InvalidAccessKeyId'))
    await generateFraudDataAnalyzed(h.db, { tenantId: tenant, rows: 200, offset: 12_000, total: 12_200 })
    await expect(wrongKey.exportOnce()).rejects.toMatchObject(failure('InvalidAccessKeyId'))
    await expect(
      open('nobucket', { bucket: 'no-such-bucket' }).query('fan_in', tenant, {}),
    ).rejects.toMatchObject(failure('NoSuchBucket'))
    // PostgreSQL queries need no store
    expect(await rows(wrongKey, 'fan_in', 'postgres')).toEqual(await rows(opened[0]!, 'fan_in', 'postgres'))

    // Another process begins publishing the refused round and fails halfway; the round is then
    // staged again by a third from PostgreSQL. A file of the first attempt that the new staging does
    // not produce (planted: run-<high>_97, a copy of one it uploaded) must not be read beside it.
    // (its 200 rows span ~6 days: the second of the tenant's transaction day files fails)
    let puts = 0
    server.fault = (op, key) =>
      op === 'PutObject' && key.includes(`/transactions/tenant_id=${tenant}/`) && ++puts > 1
    await expect(open('half').exportOnce()).rejects.toMatchObject(failure('InternalError'))
    server.fault = undefined
    const high = (await opened[0]!.exportStatus())!.pendingHigh!
    const uploaded = remoteKeys('transactions').find((k) => k.includes(`/run-${high}_`))!
    expect(uploaded).toBeDefined()
    const planted = uploaded.replace(/run-(\d+)_\d+/, 'run-$1_97')
    const copy = join(dir, 'planted.parquet')
    writeFileSync(copy, server.objects(BUCKET).get(`${prefix}/${uploaded}`)!)
    const s = storeAt()
    await s.upload(copy, planted)
    s.close()
    await rows(opened[1]!, 'fan_in') // brings the planted file into b's mirror: its rows count twice
    const seen = await mirrored('b', 'transactions', 'txn_id')
    expect(seen.n).toBeGreaterThan(seen.keys)

    const resumed = await opened[0]!.exportOnce()
    expect(resumed).toMatchObject({ resumed: true, to: high })
    expect(remoteKeys('transactions')).not.toContain(planted)
    // b still holds the planted file, but reads what the store lists; a fresh process the same
    expect(await rows(opened[1]!, 'fan_in')).toEqual(await rows(opened[1]!, 'fan_in', 'postgres'))
    expect(await rows(open('fresh'), 'fan_in')).toEqual(await rows(opened[1]!, 'fan_in', 'postgres'))
    expect(await mirrored('fresh', 'transactions', 'txn_id')).toEqual({
      n: await pgCount('monitoring_transactions'),
      keys: await pgCount('monitoring_transactions'),
    })
    // b compacts: the planted file in its directory, which the store no longer lists, is not folded in
    await opened[1]!.compact()
    expect(await rows(open('last'), 'fan_in')).toEqual(await rows(opened[1]!, 'fan_in', 'postgres'))
    expect(await mirrored('last', 'transactions', 'txn_id')).toEqual({
      n: await pgCount('monitoring_transactions'),
      keys: await pgCount('monitoring_transactions'),
    })
  }, 120_000)
})
