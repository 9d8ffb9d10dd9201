import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { EventBus, EventMessage, Subscription } from '../events/index.js'
import type { SearchEngine } from './engine.js'
import type { SearchType } from './search.js'
import type { SearchSource } from './sources/source.js'

/** The consumer group of the search projection (one per deployment; partitions shared by workers). */
export const SEARCH_CONSUMER_GROUP = 'search-indexer'

export interface IndexerDeps {
  readonly db: Db
  readonly engine: SearchEngine
  readonly sources: readonly SearchSource[]
  readonly now?: () => Date
  /** Seconds from an event's commit to its document being searchable (the oldest of each batch). */
  readonly onLag?: ((seconds: number, type: SearchType) => void) | undefined
}

interface Pending {
  readonly tenant: string
  readonly source: SearchSource
  readonly refs: Set<string>
  oldest: Date
  newest: Date
}

/**
 * Applies a batch of outbox events to the index: the objects they name are re-read from their source
 * and upserted (or removed when gone). No dual write: producers only write their outbox row; replays
 * and duplicates re-read the same row, so the projection is idempotent without an inbox.
 */
export async function applyEvents(deps: IndexerDeps, messages: readonly EventMessage[]): Promise<void> {
  const now = deps.now ?? (() => new Date())
  const byTopic = new Map<
    string,
    { source: SearchSource; refs: (p: Record<string, unknown>) => readonly string[] }[]
  >()
  for (const source of deps.sources)
    for (const [topic, refs] of Object.entries(source.topics)) {
      const list = byTopic.get(topic) ?? []
      list.push({ source, refs })
      byTopic.set(topic, list)
    }
  const pending = new Map<string, Pending>()
  for (const m of messages) {
    const payload = (m.payload ?? {}) as Record<string, unknown>
    for (const { source, refs } of byTopic.get(m.topic) ?? []) {
      const key = `${m.tenantId}\0${source.type}`
      let p = pending.get(key)
      if (!p) {
        p = { tenant: m.tenantId, source, refs: new Set(), oldest: m.occurredAt, newest: m.occurredAt }
        pending.set(key, p)
      }
      for (const r of refs(payload)) p.refs.add(r)
      if (m.occurredAt < p.oldest) p.oldest = m.occurredAt
      if (m.occurredAt > p.newest) p.newest = m.occurredAt
    }
  }
  for (const p of pending.values()) {
    if (p.refs.size === 0) continue
    const { upsert, removed } = await p.source.refresh(p.tenant, [...p.refs])
    const at = now()
    await deps.engine.upsert(upsert, at)
    await deps.engine.remove(p.tenant, p.source.type, removed)
    await sql`INSERT INTO search_progress (tenant_id, doc_type, last_event_at, indexed_at)
      VALUES (${p.tenant}, ${p.source.type}, ${p.newest}, ${at})
      ON CONFLICT (tenant_id, doc_type) DO UPDATE SET
        last_event_at = GREATEST(search_progress.last_event_at, excluded.last_event_at),
        indexed_at = excluded.indexed_at`.execute(deps.db)
    deps.onLag?.(Math.max(0, (at.getTime() - p.oldest.getTime()) / 1000), p.source.type)
  }
}

/** Subscribes the projection to every topic a source listens to. */
export function startIndexer(
  bus: EventBus,
  deps: IndexerDeps,
  opts: { consumerName?: string } = {},
): Promise<Subscription> {
  const topics = [...new Set(deps.sources.flatMap((s) => Object.keys(s.topics)))]
  return bus.subscribe({
    group: SEARCH_CONSUMER_GROUP,
    topics,
    maxInFlight: 2000,
    ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
    batchHandler: (messages) => applyEvents(deps, messages),
  })
}

export interface ReindexProgress {
  readonly type: SearchType
  readonly done: number
  readonly total: number
}

export interface ReindexResult {
  readonly indexed: Partial<Record<SearchType, number>>
  readonly removed: Partial<Record<SearchType, number>>
}

/**
 * Rebuilds a tenant's documents from the sources (all types, or those named), a page at a time, then
 * removes what the sources no longer hold. Safe while the indexer runs: both write current rows.
 */
export async function reindex(
  deps: IndexerDeps,
  tenant: string,
  opts: { types?: readonly SearchType[]; pageSize?: number; onProgress?: (p: ReindexProgress) => void } = {},
): Promise<ReindexResult> {
  const now = deps.now ?? (() => new Date())
  const pageSize = opts.pageSize ?? 2000
  const indexed: Partial<Record<SearchType, number>> = {}
  const removed: Partial<Record<SearchType, number>> = {}
  for (const source of deps.sources) {
    if (opts.types && !opts.types.includes(source.type)) continue
    const started = now()
    const total = await source.count(tenant)
    let done = 0
    let after: string | undefined
    opts.onProgress?.({ type: source.type, done, total })
    for (;;) {
      const page = await source.scan(tenant, after, pageSize)
      await deps.engine.upsert(page.docs, now())
      done += page.docs.length
      opts.onProgress?.({ type: source.type, done, total: Math.max(total, done) })
      if (!page.next) break
      after = page.next
    }
    indexed[source.type] = done
    // A millisecond back: a document upserted in the same millisecond as `started` is current.
    if (source.prunable)
      removed[source.type] = await deps.engine.removeStale(
        tenant,
        source.type,
        new Date(started.getTime() - 1),
      )
    await sql`INSERT INTO search_progress (tenant_id, doc_type, last_event_at, indexed_at, reindexed_at)
      VALUES (${tenant}, ${source.type}, ${started}, ${now()}, ${now()})
      ON CONFLICT (tenant_id, doc_type) DO UPDATE SET reindexed_at = excluded.reindexed_at`.execute(deps.db)
  }
  if (Object.values(indexed).some((n) => n > 0) || Object.values(removed).some((n) => n > 0))
    await deps.engine.afterReindex?.()
  return { indexed, removed }
}
