import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startS3Server, type S3TestServer } from '../../../../test/support/s3-server.js'
import type { ObjectStore } from './object-store.js'
import { createS3ObjectStore } from './s3.client.js'

/** The S3 adapter through the official SDK against our local S3-protocol server (pages of 2 keys). */
describe('S3 object store adapter', () => {
  let server: S3TestServer
  let dir: string
  const stores: ObjectStore[] = []
  const open = (over: { bucket?: string; accessKeyId?: string; endpoint?: string } = {}) => {
    const s = createS3ObjectStore({
      bucket: over.bucket ?? 'analytics',
      prefix: 'team/a',
      endpoint: over.endpoint ?? server.url,
      region: 'us-east-1',
      accessKeyId: over.accessKeyId ?? 'test-access-key',
      secretAccessKey: 'test-secret-key',
    })
    stores.push(s)
    return s
  }

  beforeAll(async () => {
    server = await startS3Server({ accessKeyId: 'test-access-key', buckets: ['analytics'] })
    dir = mkdtempSync(join(tmpdir(), 'moneta-s3-'))
  })
  afterAll(async () => {
    for (const s of stores) s.close()
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('uploads under the prefix, lists every page, downloads and deletes', async () => {
    const s = open()
    const file = join(dir, 'f.parquet')
    writeFileSync(file, 'hello parquet')
    const keys = [
      'payments/tenant_id=t1/day=2026-01-01/run-5_0.parquet',
      'payments/tenant_id=t1/day=2026-01-02/run-5_0.parquet',
      'payments/tenant_id=t1/compacted=5/part.parquet',
      'payments/tenant_id=t2/day=2026-01-01/run-5_0.parquet',
      'alerts/tenant_id=t1/day=2026-01-01/run-5_0.parquet',
    ]
    for (const k of keys) await s.upload(file, k)
    expect([...server.objects('analytics').keys()].sort()).toEqual(keys.map((k) => `team/a/${k}`).sort())

    const listed = await s.list('payments/tenant_id=t1/')
    expect(listed.map((o) => o.key).sort()).toEqual(
      keys.filter((k) => k.startsWith('payments/tenant_id=t1/')).sort(),
    )
    expect(listed.every((o) => o.size === 13)).toBe(true)
    expect(server.calls['ListObjectsV2']).toBe(2) // three keys, two per page

    await s.download(keys[2]!, join(dir, 'back'))
    expect(readFileSync(join(dir, 'back'), 'utf8')).toBe('hello parquet')

    await s.remove([keys[0]!, 'payments/tenant_id=t1/never-there.parquet'])
    expect(server.objects('analytics').has(`team/a/${keys[0]}`)).toBe(false)
    expect(server.objects('analytics').size).toBe(keys.length - 1)
  })

  it('retries an upload the store failed transiently with a fresh stream, and gives up after three attempts', async () => {
    const s = open()
    const file = join(dir, 'retried.parquet')
    writeFileSync(file, Buffer.alloc(200_000, 7))
    let puts = 0
    server.fault = (op) => op === 'PutObject' && ++puts === 1
    await s.upload(file, 'retried.parquet')
    expect(puts).toBe(2)
    expect(server.objects('analytics').get('team/a/retried.parquet')?.length).toBe(200_000)

    puts = 0
    server.fault = (op) => op === 'PutObject' && ++puts > 0
    await expect(s.upload(file, 'refused.parquet')).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining('InternalError') as string,
    })
    expect(puts).toBe(3)
    server.fault = undefined
  })

  it('fails with ANALYTICS_STORAGE_FAILED naming the cause: missing key, wrong access key, no bucket, unreachable', async () => {
    await expect(open().download('nope.parquet', join(dir, 'x'))).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining('NoSuchKey') as string,
    })
    await expect(open({ accessKeyId: 'wrong-access-key' }).list('')).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining('InvalidAccessKeyId') as string,
    })
    await expect(open({ bucket: 'no-such-bucket' }).list('')).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
      message: expect.stringContaining('NoSuchBucket') as string,
    })
    await expect(open({ endpoint: 'http://127.0.0.1:1' }).list('')).rejects.toMatchObject({
      code: 'ANALYTICS_STORAGE_FAILED',
    })
  })
})
