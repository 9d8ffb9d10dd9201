import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { currentFiles } from './compaction.js'
import { localSink } from './sink.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-sink-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('discards every file of one round and nothing else (a round staged again writes other names)', async () => {
  const files = [
    'transactions/tenant_id=t1/day=2026-01-01/run-5_1234567890.parquet',
    'transactions/tenant_id=t1/day=2026-01-02/run-5_3.parquet',
    'transactions/tenant_id=t1/day=2026-01-02/run-50_0.parquet',
    'transactions/tenant_id=t1/day=2026-01-02/run-4_0.parquet',
    'payments/tenant_id=t2/day=2026-01-01/run-5_0.parquet',
    'payments/tenant_id=t2/compacted=4/part.parquet',
  ]
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true })
    writeFileSync(join(dir, f), 'x')
  }
  await localSink(dir).discard(5n)
  const t1 = join(dir, 'transactions', 'tenant_id=t1')
  expect(currentFiles(t1)).toEqual([
    join(t1, 'day=2026-01-02', 'run-4_0.parquet'),
    join(t1, 'day=2026-01-02', 'run-50_0.parquet'),
  ])
  expect(currentFiles(join(dir, 'payments', 'tenant_id=t2'))).toEqual([
    join(dir, 'payments', 'tenant_id=t2', 'compacted=4', 'part.parquet'),
  ])
})
