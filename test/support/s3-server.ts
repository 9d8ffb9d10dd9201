import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A small S3-compatible server for tests (ARCHITECTURE.md §3: vendors are tested through their SDK
 * against a local server speaking their wire protocol). Path-style `/<bucket>/<key>`, in memory:
 * PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects (POST ?delete), ListObjectsV2 with
 * continuation tokens (a small page size, so callers' pagination is exercised), S3's XML errors
 * (NoSuchKey, NoSuchBucket), and InvalidAccessKeyId (403) for a SigV4 Authorization header naming
 * another access key id. The signature itself is not verified.
 */
export interface S3TestServer {
  url: string
  /** Objects of a bucket, by key. */
  objects(bucket: string): ReadonlyMap<string, Buffer>
  /** Requests seen, by operation name (PutObject, ListObjectsV2, …). */
  readonly calls: Record<string, number>
  /** When set and it returns true, the request is answered 500 InternalError (SDKs retry, then fail). */
  fault: ((op: string, key: string) => boolean) | undefined
  close(): Promise<void>
}

export interface S3TestServerOptions {
  readonly accessKeyId: string
  readonly buckets: readonly string[]
  /** Keys per ListObjectsV2 page at most (default 2). */
  readonly pageSize?: number
}

const xmlEscape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const xmlUnescape = (s: string): string =>
  s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
const etag = (b: Buffer): string => `"${createHash('md5').update(b).digest('hex')}"`

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const p of req) parts.push(p as Buffer)
  return Buffer.concat(parts)
}

export async function startS3Server(opts: S3TestServerOptions): Promise<S3TestServer> {
  const buckets = new Map(opts.buckets.map((b) => [b, new Map<string, Buffer>()]))
  const pageSize = opts.pageSize ?? 2
  const calls: Record<string, number> = {}
  const modified = new Date().toISOString()

  function send(res: ServerResponse, status: number, xml?: string, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      'x-amz-request-id': randomUUID(),
      ...headers,
      ...(xml ? { 'content-type': 'application/xml' } : {}),
    })
    res.end(xml ? XML_HEAD + xml : undefined)
  }
  function error(res: ServerResponse, status: number, code: string, message: string, head: boolean) {
    send(
      res,
      status,
      head ? undefined : `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`,
    )
  }

  function list(res: ServerResponse, bucket: string, objects: Map<string, Buffer>, q: URLSearchParams) {
    const prefix = q.get('prefix') ?? ''
    const max = Math.min(pageSize, Number(q.get('max-keys') ?? 1000))
    const after = q.get('continuation-token') ?? q.get('start-after') ?? ''
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort()
    const page = keys.slice(0, max)
    const truncated = keys.length > page.length
    const contents = page
      .map(
        (k) =>
          `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${modified}</LastModified><ETag>${xmlEscape(etag(objects.get(k)!))}</ETag><Size>${objects.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
      )
      .join('')
    send(
      res,
      200,
      `<ListBucketResult ${NS}><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${
        truncated ? `<NextContinuationToken>${xmlEscape(page.at(-1)!)}</NextContinuationToken>` : ''
      }</ListBucketResult>`,
    )
  }

  async function handle(req: IncomingMessage, res: ServerResponse, s: S3TestServer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const [, bucket = '', ...rest] = url.pathname.split('/')
    const key = rest.map(decodeURIComponent).join('/')
    const method = req.method ?? 'GET'
    const head = method === 'HEAD'
    const op =
      method === 'POST' && url.searchParams.has('delete')
        ? 'DeleteObjects'
        : method === 'GET' && key === ''
          ? 'ListObjectsV2'
          : ({ PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ??
            method)
    calls[op] = (calls[op] ?? 0) + 1
    const payload = await body(req)
    const credential = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')
    if (credential?.[1] !== opts.accessKeyId)
      return error(
        res,
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        head,
      )
    const objects = buckets.get(bucket)
    if (!objects) return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', head)
    if (s.fault?.(op, key))
      return error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', head)
    switch (op) {
      case 'ListObjectsV2':
        return list(res, bucket, objects, url.searchParams)
      case 'PutObject':
        objects.set(key, payload)
        return send(res, 200, undefined, { etag: etag(payload) })
      case 'GetObject':
      case 'HeadObject': {
        const o = objects.get(key)
        if (!o) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.', head)
        res.writeHead(200, {
          'content-length': String(o.length),
          'content-type': 'application/octet-stream',
          etag: etag(o),
          'last-modified': new Date(modified).toUTCString(),
        })
        res.end(head ? undefined : o)
        return
      }
      case 'DeleteObject':
        objects.delete(key)
        return send(res, 204)
      case 'DeleteObjects': {
        const keys = [...payload.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
          xmlUnescape(m[1]!),
        )
        for (const k of keys) objects.delete(k)
        const deleted = keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')
        return send(res, 200, `<DeleteResult ${NS}>${deleted}</DeleteResult>`)
      }
      default:
        return error(res, 405, 'MethodNotAllowed', `${method} is not supported here`, head)
    }
  }

  const state: S3TestServer = {
    url: '',
    objects: (b) => buckets.get(b) ?? new Map(),
    calls,
    fault: undefined,
    close: () => {
      // SDK clients keep connections alive: drop them, or close() waits for them
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((req, res) => {
    handle(req, res, state).catch((e: unknown) => {
      res.writeHead(500)
      res.end(String(e))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return state
}
