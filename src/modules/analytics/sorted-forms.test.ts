import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { datasetNamed, type DatasetName, type ProjectionName } from './datasets.js'
import { duckdbDialect } from './dialect.js'
import { buildNative, leaseNative, type NativeLease } from './native.js'
import { resolveParams } from './params.js'
import { fraudQuery } from './queries/catalogue.js'
import { normaliseRow, type ResultRow } from './query.service.js'

/**
 * The streamed forms (Dialect.sorted: `lag() OVER ()` over a projection stored in its order) rest on
 * DuckDB scanning a native table in its stored order when a streaming window sits above the scan.
 * Checked here where it could break: a table of many row groups (DuckDB's are 122,880 rows), four
 * threads, entities and senders spanning row-group boundaries, many rows at one instant — against
 * the partitioned-window forms over the same tables. No PostgreSQL: the integration tests compare
 * these forms with PostgreSQL on small data; this one is about DuckDB's order.
 */
const ROWS = 400_000
const TRANSACTIONS = datasetNamed('transactions')

let duck: DuckDBInstance
let conn: DuckDBConnection
let dir: string
let lease: NativeLease

beforeAll(async () => {
  duck = await DuckDBInstance.create(':memory:', { threads: '4' })
  conn = await duck.connect()
  dir = mkdtempSync(join(tmpdir(), 'moneta-sorted-'))
  const parquet = join(dir, 'part.parquet')
  // instants on a coarse grid (many ties), a few thousand entities and senders, amounts whose
  // large ones are rare; txn ids in a random order relative to time
  await conn.run(`COPY (
    SELECT 'txn_' || lpad(CAST(hash(i) % 100000000 AS VARCHAR), 9, '0') || '_' || i AS txn_id,
      'acc_' || (hash(i, 1) % 3000) AS src, 'acc_' || (hash(i, 2) % 3000) AS dst,
      CASE WHEN hash(i, 3) % 50 = 0 THEN 200000 + hash(i, 4) % 100000 ELSE 100 + hash(i, 4) % 5000 END AS amount,
      'EUR' AS currency,
      TIMESTAMP '2025-01-01' + to_minutes(CAST(i // 3 AS BIGINT)) AS occurred_at,
      CASE WHEN i % 997 = 0 THEN NULL ELSE 'card_' || (hash(i, 5) % 4000) END AS card,
      'dev_' || (hash(i, 6) % 2000) AS device, 'ip_' || (hash(i, 7) % 5000) AS ip
    FROM range(${ROWS}) r(i)) TO '${parquet}' (FORMAT parquet)`)
  await buildNative(duck, TRANSACTIONS, parquet, join(dir, 'native.duckdb'))
  lease = await leaseNative(duck, join(dir, 'native.duckdb'), TRANSACTIONS)
}, 120_000)

afterAll(() => {
  lease?.release()
  conn?.closeSync()
  duck?.closeSync()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function run(name: string, raw: Record<string, string>, sorted: boolean): Promise<ResultRow[]> {
  const q = fraudQuery(name)
  const params = resolveParams(q.params, raw)
  const source = (_: DatasetName, projection?: ProjectionName) => `${lease.alias}.${projection}`
  const text = q.sql(duckdbDialect(q.params, source, () => sorted))
  const values = Object.fromEntries(Object.entries(params).filter(([k]) => text.includes(`$${k}`)))
  const r = await conn.runAndReadAll(text, values)
  return r.getRowObjectsJS().map(normaliseRow)
}

it('the native file records its sort keys, and a reader trusts the order of the projections it asks for', () => {
  expect(lease.alias).not.toBeNull()
  expect([...lease.sorted].sort()).toEqual(['by_card', 'by_device', 'by_dst', 'by_ip', 'by_src'])
})

it.each([
  ['card_velocity', { window_minutes: '1440', min_count: '5' }],
  ['card_velocity', { window_minutes: '60', min_count: '2' }],
  ['device_velocity', { window_minutes: '1440', min_count: '7', from: '2025-01-20', to: '2025-03-01' }],
  ['ip_velocity', { window_minutes: '30', min_count: '1', limit: '100000' }],
  ['dormant_then_active', { dormant_days: '1', limit: '100000' }],
  ['dormant_then_active', { dormant_days: '2', from: '2025-02-10', to: '2025-03-20', limit: '100000' }],
])('%s %j: the streamed form gives the partitioned form’s rows', async (name, params) => {
  const partitioned = await run(name, params, false)
  expect(partitioned.length).toBeGreaterThan(10)
  expect(await run(name, params, true)).toEqual(partitioned)
})
