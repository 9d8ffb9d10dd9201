import type { SearchEngine } from '../engine.js'
import {
  requiredSealedMatches,
  type Candidate,
  type EngineQuery,
  type SearchDocument,
  type SearchType,
} from '../search.js'
import { searchError } from '../search.errors.js'

/**
 * What the Elasticsearch and OpenSearch adapters share: the index mapping, the document shape and the
 * query, over a narrow client port each adapter implements with its official client (client.ts of
 * each is the only file that imports the vendor SDK). Folding matches the PostgreSQL engine's:
 * lowercase + ASCII folding on top of the service's transliteration; typos are Lucene fuzzy
 * matches (edit distance AUTO, transpositions on), prefixes `match_bool_prefix`.
 */
export interface IndexClient {
  /** Creates the index with these settings and mappings when it does not exist. */
  ensureIndex(index: string, settings: object, mappings: object): Promise<void>
  /** Bulk operations (action line, then source for index); refreshed before it returns. */
  bulk(operations: readonly object[]): Promise<void>
  search(
    index: string,
    body: object,
  ): Promise<{ hits: readonly { _source: unknown; _score: number | null }[]; aggregations?: unknown }>
  deleteByQuery(index: string, query: object): Promise<number>
  close(): Promise<void>
}

export const INDEX_SETTINGS = {
  analysis: {
    analyzer: {
      folded: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] },
    },
  },
}

export const INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    tenant_id: { type: 'keyword' },
    doc_type: { type: 'keyword' },
    doc_id: { type: 'keyword' },
    title: { type: 'keyword', index: false },
    body: { type: 'text', analyzer: 'folded' },
    sealed: { type: 'keyword' },
    keys: { type: 'keyword' },
    occurred_at: { type: 'date' },
    amount: { type: 'long' },
    currency: { type: 'keyword' },
    attributes: { type: 'object', enabled: false },
    indexed_at: { type: 'date' },
  },
}

interface Source {
  tenant_id: string
  doc_type: string
  doc_id: string
  title: string
  body: string
  keys: string[]
  occurred_at: string
  amount?: string | number | null
  currency?: string | null
  attributes: Record<string, string>
}

const docId = (tenant: string, type: string, id: string): string => `${tenant}:${type}:${id}`

const tenantFilter = (tenant: string) => ({ term: { tenant_id: tenant } })

/** At least `requiredSealedMatches` of the groups (as the PostgreSQL engine). */
function sealedClause(
  groups: readonly (readonly string[])[],
  minimum: number | undefined,
): object | undefined {
  const real = groups.filter((g) => g.length > 0)
  if (real.length === 0) return undefined
  return {
    bool: {
      should: real.map((g) => ({ terms: { sealed: g } })),
      minimum_should_match: requiredSealedMatches(real.length, minimum),
    },
  }
}

export function searchBody(q: EngineQuery): object {
  const filter: object[] = [tenantFilter(q.tenantId)]
  if (q.types && q.types.length > 0) filter.push({ terms: { doc_type: q.types } })
  if (q.from || q.to)
    filter.push({
      range: {
        occurred_at: {
          ...(q.from ? { gte: q.from.toISOString() } : {}),
          ...(q.to ? { lt: q.to.toISOString() } : {}),
        },
      },
    })
  if (q.amountMin !== undefined || q.amountMax !== undefined)
    filter.push({
      range: {
        amount: {
          ...(q.amountMin !== undefined ? { gte: q.amountMin.toString() } : {}),
          ...(q.amountMax !== undefined ? { lte: q.amountMax.toString() } : {}),
        },
      },
    })
  if (q.currency) filter.push({ term: { currency: q.currency } })
  const should: object[] = []
  if (q.text) {
    const n = q.words.length
    should.push({
      match: {
        body: {
          query: q.text,
          fuzziness: 'AUTO',
          fuzzy_transpositions: true,
          minimum_should_match: n <= 2 ? '100%' : String(n - 1),
        },
      },
    })
    should.push({ match_bool_prefix: { body: { query: q.text, operator: 'and' } } })
  }
  if (q.keys.length > 0) should.push({ terms: { keys: q.keys, boost: 5 } })
  const sealed = sealedClause(q.sealedGroups, q.sealedMinimum)
  if (sealed) should.push(sealed)
  return {
    size: q.limit,
    track_total_hits: false,
    query: { bool: { filter, should, minimum_should_match: 1 } },
    sort: [{ _score: 'desc' }, { doc_id: 'asc' }],
  }
}

function toSource(
  d: SearchDocument,
  indexedAt: Date,
): Source & { sealed: readonly string[]; indexed_at: string } {
  return {
    tenant_id: d.tenantId,
    doc_type: d.type,
    doc_id: d.id,
    title: d.title,
    body: d.body,
    sealed: d.sealed,
    keys: [...d.keys],
    occurred_at: d.occurredAt.toISOString(),
    amount: d.amount === undefined ? null : d.amount.toString(),
    currency: d.currency ?? null,
    attributes: { ...d.attributes },
    indexed_at: indexedAt.toISOString(),
  }
}

function fromSource(s: Source): SearchDocument {
  return {
    tenantId: s.tenant_id,
    type: s.doc_type as SearchType,
    id: s.doc_id,
    title: s.title,
    body: s.body,
    sealed: [],
    keys: s.keys,
    occurredAt: new Date(s.occurred_at),
    amount: s.amount === null || s.amount === undefined ? undefined : BigInt(s.amount),
    currency: s.currency ?? undefined,
    attributes: s.attributes,
  }
}

const BULK = 1000

export function createDocumentIndexEngine(
  name: 'elasticsearch' | 'opensearch',
  client: IndexClient,
  index: string,
): SearchEngine {
  const guard = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f()
    } catch (err) {
      throw searchError('SEARCH_ENGINE_UNAVAILABLE', `${name} ${what}`, { cause: err })
    }
  }
  return {
    name,
    init: () => guard('create index', () => client.ensureIndex(index, INDEX_SETTINGS, INDEX_MAPPINGS)),
    async upsert(docs, indexedAt) {
      for (let i = 0; i < docs.length; i += BULK) {
        const ops = docs
          .slice(i, i + BULK)
          .flatMap((d) => [
            { index: { _index: index, _id: docId(d.tenantId, d.type, d.id) } },
            toSource(d, indexedAt),
          ])
        await guard('bulk index', () => client.bulk(ops))
      }
    },
    async remove(tenantId, type, ids) {
      if (ids.length === 0) return
      await guard('bulk delete', () =>
        client.bulk(ids.map((id) => ({ delete: { _index: index, _id: docId(tenantId, type, id) } }))),
      )
    },
    removeStale: (tenantId, type, before) =>
      guard('delete by query', () =>
        client.deleteByQuery(index, {
          bool: {
            filter: [
              tenantFilter(tenantId),
              { term: { doc_type: type } },
              { range: { indexed_at: { lt: before.toISOString() } } },
            ],
          },
        }),
      ),
    async search(q) {
      const r = await guard('search', () => client.search(index, searchBody(q)))
      return r.hits.map((h): Candidate => ({ doc: fromSource(h._source as Source), score: h._score ?? 0 }))
    },
    async count(tenantId) {
      const r = await guard('count', () =>
        client.search(index, {
          size: 0,
          query: { bool: { filter: [tenantFilter(tenantId)] } },
          aggs: { types: { terms: { field: 'doc_type', size: 20 } } },
        }),
      )
      const buckets =
        (r.aggregations as { types?: { buckets?: { key: string; doc_count: number }[] } } | undefined)?.types
          ?.buckets ?? []
      return Object.fromEntries(buckets.map((b) => [b.key, b.doc_count]))
    },
    close: () => client.close(),
  }
}
