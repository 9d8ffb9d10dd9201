import type * as S3 from '@aws-sdk/client-s3'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { setTimeout } from 'node:timers/promises'
import { analyticsError } from '../analytics.errors.js'
import type { ObjectStore, StoredObject } from './object-store.js'

/** The validated MONETA_ANALYTICS_STORAGE_URL / MONETA_ANALYTICS_S3_* settings (config.ts). */
export interface S3StoreOptions {
  readonly bucket: string
  /** Key prefix without leading or trailing '/'; '' for the bucket's root. */
  readonly prefix: string
  /** An S3-compatible endpoint (MinIO, Ceph, R2…): addressed path-style. Unset: AWS's own. */
  readonly endpoint: string | undefined
  readonly region: string
  /** Both or neither; neither: the SDK's default credential chain (environment, profile, role). */
  readonly accessKeyId: string | undefined
  readonly secretAccessKey: string | undefined
}

const UPLOAD_ATTEMPTS = 3
const quiet = (): void => undefined
const SILENT = { debug: quiet, info: quiet, warn: quiet, error: quiet }

// Loaded on first use: importing the SDK costs ~200 ms, which every process start (each CLI
// command) would pay whether or not object storage is configured.
let sdk: Promise<typeof S3> | undefined
const loadSdk = () => (sdk ??= import('@aws-sdk/client-s3'))

/** Worth another attempt: the store's 5xx or throttling, or no answer at all. */
const transient = (m: typeof S3, e: unknown): boolean =>
  e instanceof m.S3ServiceException
    ? (e.$metadata.httpStatusCode ?? 500) >= 500 || e.name === 'SlowDown' || e.$retryable !== undefined
    : true

/** S3 through the official SDK: the only file that imports it (ARCHITECTURE.md §3). */
export function createS3ObjectStore(o: S3StoreOptions): ObjectStore {
  let opened: S3.S3Client | undefined
  const open = async () => {
    const m = await loadSdk()
    opened ??= newClient(m, o)
    return { m, client: opened }
  }
  const root = o.prefix ? `${o.prefix}/` : ''
  const describe = `s3://${o.bucket}/${o.prefix}`
  const Bucket = o.bucket

  /** Runs one call; any failure becomes ANALYTICS_STORAGE_FAILED naming the operation, key and vendor code. */
  async function call<T>(
    op: string,
    key: string,
    run: (sdk: { m: typeof S3; client: S3.S3Client }) => Promise<T>,
  ): Promise<T> {
    try {
      return await run(await open())
    } catch (e) {
      const m = await sdk?.catch(() => undefined) // the SDK failing to load is a cause too
      const why =
        m && e instanceof m.S3ServiceException
          ? `${e.name} (HTTP ${e.$metadata.httpStatusCode ?? '?'})`
          : e instanceof Error
            ? e.message
            : String(e)
      throw analyticsError(
        'ANALYTICS_STORAGE_FAILED',
        `${op} ${describe}${describe.endsWith('/') ? '' : '/'}${key}: ${why}`,
        e,
      )
    }
  }

  return {
    describe,
    list: (prefix) =>
      call('ListObjectsV2', prefix, async ({ m, client }) => {
        const out: StoredObject[] = []
        let token: string | undefined
        do {
          const page = await client.send(
            new m.ListObjectsV2Command({ Bucket, Prefix: root + prefix, ContinuationToken: token }),
          )
          for (const c of page.Contents ?? [])
            if (c.Key !== undefined) out.push({ key: c.Key.slice(root.length), size: c.Size ?? 0 })
          token = page.IsTruncated ? page.NextContinuationToken : undefined
        } while (token)
        return out
      }),
    upload: (file, key) =>
      call('PutObject', key, async ({ m, client }) => {
        const { size } = await stat(file)
        // The SDK does not retry a request whose body is a stream (it cannot rewind it): a transient
        // failure is retried here with a fresh stream, as the SDK retries every other call.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.send(
              new m.PutObjectCommand({
                Bucket,
                Key: root + key,
                Body: createReadStream(file),
                ContentLength: size,
              }),
            )
            return
          } catch (e) {
            if (attempt >= UPLOAD_ATTEMPTS || !transient(m, e)) throw e
            await setTimeout(100 * 2 ** attempt)
          }
        }
      }),
    download: (key, file) =>
      call('GetObject', key, async ({ m, client }) => {
        const r = await client.send(new m.GetObjectCommand({ Bucket, Key: root + key }))
        if (!(r.Body instanceof Readable)) throw new Error('GetObject returned no body stream')
        await pipeline(r.Body, createWriteStream(file))
      }),
    remove: (keys) =>
      call('DeleteObjects', keys[0] ?? '', async ({ m, client }) => {
        // at most 1,000 keys per request (S3's limit)
        for (let i = 0; i < keys.length; i += 1000) {
          const r = await client.send(
            new m.DeleteObjectsCommand({
              Bucket,
              Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: root + k })), Quiet: true },
            }),
          )
          const failed = r.Errors?.[0]
          if (failed) throw new Error(`DeleteObjects refused ${failed.Key ?? '?'}: ${failed.Code ?? '?'}`)
        }
      }),
    close: () => opened?.destroy(),
  }
}

function newClient(m: typeof S3, o: S3StoreOptions): S3.S3Client {
  return new m.S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
    ...(o.accessKeyId && o.secretAccessKey
      ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
      : {}),
    // Checksums only where S3 requires them (DeleteObjects): by default the SDK sends a streamed
    // upload as aws-chunked with a trailing checksum, which several S3-compatible stores refuse.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Without a logger the SDK writes to the console when a streamed upload fails ("non-retryable
    // streaming request"); `upload` retries it itself and failures surface as errors.
    logger: SILENT,
  })
}
