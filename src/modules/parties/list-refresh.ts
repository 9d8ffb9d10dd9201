import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { Outbox } from '../events/index.js'
import {
  parseListSource,
  sourceDigest,
  type ImportResult,
  type ListFormat,
  type ListSource,
  type ParsedList,
  type SnapshotRow,
} from '../screening/index.js'
import { PARTIES_EVENTS } from './parties.events.js'
import { partiesError } from './parties.errors.js'
import type { PartiesAuditPort } from './context.js'

/** A configured list source (src/config.ts: official URLs by default). */
export interface ListSourceSpec {
  readonly id: string
  readonly format: ListFormat
  /** The file, or for OFAC CSV sets the directory the `files` are fetched from. */
  readonly url: string
  readonly files?: readonly string[] | undefined
}

export type RefusalReason = 'fetch_error' | 'unparseable' | 'empty' | 'shrunk'

export interface FetchOutcome {
  readonly tenantId: string
  readonly sourceId: string
  readonly status: 'imported' | 'unchanged' | 'refused'
  readonly reason?: RefusalReason | undefined
  readonly detail?: string | undefined
  readonly entryCount?: number | undefined
  readonly snapshotId?: string | undefined
  readonly rescreen?: ImportResult['rescreen']
}

export interface ListRefreshDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly outbox: Outbox
  readonly logger?: Logger | undefined
  readonly audit?: PartiesAuditPort | undefined
  readonly screening: {
    importParsed(
      tenantId: string,
      parsed: ParsedList,
      meta: { source: string; sha256: string },
      opts?: { rescreen?: boolean },
    ): Promise<ImportResult>
    listStatus(tenantId: string): Promise<readonly SnapshotRow[]>
  }
  readonly sources: readonly ListSourceSpec[]
  readonly tenants: () => Promise<readonly string[]>
  readonly fetchTimeoutMs: number
}

export interface ListRefresher {
  readonly sources: readonly ListSourceSpec[]
  /** Fetches one source (or all), checks it, and imports it for every tenant (or the given ones). */
  refresh(opts?: {
    sourceId?: string | undefined
    tenants?: readonly string[] | undefined
  }): Promise<FetchOutcome[]>
  /** The latest fetch of each source for a tenant. */
  lastFetches(tenantId: string): Promise<Map<string, FetchOutcome & { fetchedAt: Date }>>
}

class Refused extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(detail)
  }
}

/**
 * Keeps sanctions lists current. A fetch that fails (network, HTTP status), does not parse, is empty,
 * or has shrunk below half of the active snapshot's entries is refused: the active snapshot stays, the
 * refusal is recorded and `parties.list_source.failed.v1` is written (an alert). Accepted content is
 * imported through the screening module, which diffs it and rescreens every subject (each party's names).
 */
export function createListRefresher(deps: ListRefreshDeps): ListRefresher {
  async function download(src: ListSourceSpec): Promise<ListSource> {
    const urls = src.files?.length
      ? src.files.map(
          (f) => [f, new URL(f, src.url.endsWith('/') ? src.url : `${src.url}/`).toString()] as const,
        )
      : [[fileNameOf(src.url), src.url] as const]
    const files = new Map<string, Buffer>()
    for (const [name, url] of urls) {
      const res = await fetchWithRetry(url, deps.fetchTimeoutMs)
      if (!res.ok) throw new Refused('fetch_error', `${url} answered HTTP ${res.status}`)
      files.set(name, Buffer.from(await res.arrayBuffer()))
    }
    return { name: src.url, files }
  }

  async function record(o: FetchOutcome): Promise<void> {
    await deps.db.transaction().execute(async (tx) => {
      await sql`
        INSERT INTO list_fetches (tenant_id, fetch_id, source_id, status, reason, detail, entry_count, snapshot_id, fetched_at)
        VALUES (${o.tenantId}, ${deps.ids('lfe')}, ${o.sourceId}, ${o.status}, ${o.reason ?? null},
          ${o.detail?.slice(0, 2000) ?? null}, ${o.entryCount ?? null}, ${o.snapshotId ?? null}, ${deps.clock.now()})`.execute(
        tx,
      )
      if (o.status === 'refused')
        await deps.outbox.enqueue(tx, [
          {
            topic: PARTIES_EVENTS.listFetchFailed,
            key: o.sourceId,
            tenantId: o.tenantId,
            payload: {
              sourceId: o.sourceId,
              listId: o.sourceId,
              reason: o.reason ?? 'fetch_error',
              detail: (o.detail ?? '').slice(0, 500),
            },
          },
        ])
    })
    deps.audit?.record({
      tenant: o.tenantId,
      actor: 'system',
      action: `screening.list.${o.status === 'refused' ? 'refuse' : 'refresh'}`,
      resource: o.sourceId,
      outcome: o.status === 'refused' ? 'failure' : 'success',
      origin: 'worker',
      details: {
        status: o.status,
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.entryCount !== undefined ? { entryCount: o.entryCount } : {}),
        ...(o.snapshotId ? { snapshotId: o.snapshotId } : {}),
      },
    })
    if (o.status === 'refused')
      deps.logger?.error(
        { tenantId: o.tenantId, source: o.sourceId, reason: o.reason, detail: o.detail },
        'sanctions list refused; active snapshot kept',
      )
  }

  async function refreshOne(src: ListSourceSpec, tenants: readonly string[]): Promise<FetchOutcome[]> {
    const out: FetchOutcome[] = []
    let parsed: ParsedList
    let sha256: string
    try {
      const source = await download(src)
      sha256 = sourceDigest(source)
      try {
        parsed = parseListSource(source, src.format)
      } catch (err) {
        throw new Refused('unparseable', (err as Error).message)
      }
      if (parsed.entries.length === 0) throw new Refused('empty', `${src.url} holds no entries`)
    } catch (err) {
      const reason = err instanceof Refused ? err.reason : 'fetch_error'
      for (const tenantId of tenants) {
        const o: FetchOutcome = {
          tenantId,
          sourceId: src.id,
          status: 'refused',
          reason,
          detail: (err as Error).message,
        }
        await record(o)
        out.push(o)
      }
      return out
    }
    for (const tenantId of tenants) {
      const active = (await deps.screening.listStatus(tenantId)).find((l) => l.listId === parsed.listId)
      let o: FetchOutcome
      if (active && parsed.entries.length * 2 < active.entryCount) {
        o = {
          tenantId,
          sourceId: src.id,
          status: 'refused',
          reason: 'shrunk',
          detail: `${parsed.entries.length} entries against ${active.entryCount} in the active snapshot`,
          entryCount: parsed.entries.length,
        }
      } else {
        const r = await deps.screening.importParsed(
          tenantId,
          parsed,
          { source: src.url, sha256 },
          { rescreen: true },
        )
        o = {
          tenantId,
          sourceId: src.id,
          status: r.unchanged ? 'unchanged' : 'imported',
          entryCount: r.entryCount,
          ...(r.snapshotId ? { snapshotId: r.snapshotId } : {}),
          ...(r.rescreen ? { rescreen: r.rescreen } : {}),
        }
      }
      await record(o)
      out.push(o)
    }
    return out
  }

  return {
    sources: deps.sources,
    async refresh(opts = {}) {
      const chosen = opts.sourceId ? deps.sources.filter((s) => s.id === opts.sourceId) : deps.sources
      if (opts.sourceId && chosen.length === 0) throw partiesError('LIST_SOURCE_UNKNOWN', opts.sourceId)
      const tenants = opts.tenants ?? (await deps.tenants())
      const out: FetchOutcome[] = []
      for (const src of chosen) out.push(...(await refreshOne(src, tenants)))
      return out
    },
    async lastFetches(tenantId) {
      const r = await sql<Record<string, unknown>>`
        SELECT DISTINCT ON (source_id) * FROM list_fetches WHERE tenant_id = ${tenantId}
        ORDER BY source_id, fetched_at DESC, fetch_id DESC`.execute(deps.db)
      return new Map(
        r.rows.map((x) => [
          String(x.source_id),
          {
            tenantId,
            sourceId: String(x.source_id),
            status: x.status as FetchOutcome['status'],
            reason: (x.reason as RefusalReason | null) ?? undefined,
            detail: (x.detail as string | null) ?? undefined,
            entryCount: x.entry_count === null ? undefined : Number(x.entry_count),
            snapshotId: (x.snapshot_id as string | null) ?? undefined,
            fetchedAt: new Date(x.fetched_at as string),
          },
        ]),
      )
    },
  }
}

/** Network errors are retried twice (a publisher's connection reset, a stale keep-alive socket). */
async function fetchWithRetry(url: string, timeoutMs: number): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' })
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message
      if (attempt >= 3)
        throw new Refused('fetch_error', `${url}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`)
      await new Promise((r) => setTimeout(r, 250 * attempt))
    }
  }
}

function fileNameOf(url: string): string {
  const base = new URL(url).pathname.split('/').pop()
  return base || 'list'
}
