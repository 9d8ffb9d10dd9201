import { Client } from '@opensearch-project/opensearch'
import type { SearchEngine } from '../../engine.js'
import { createDocumentIndexEngine, type IndexClient } from '../document-index.js'

interface BulkBody {
  errors: boolean
  items: Record<string, { error?: unknown; status?: number }>[]
}

/** The OpenSearch adapter, through the official client (`@opensearch-project/opensearch`). */
export function createOpenSearchEngine(opts: { url: string; index: string }): SearchEngine {
  const client = new Client({ node: opts.url })
  const port: IndexClient = {
    async ensureIndex(index, settings, mappings) {
      const exists = await client.indices.exists({ index })
      if (exists.body) return
      await client.indices.create({ index, body: { settings, mappings } })
    },
    async bulk(operations) {
      const r = await client.bulk({ body: operations as never, refresh: 'wait_for' })
      const body = r.body as unknown as BulkBody
      if (!body.errors) return
      const failed = body.items.flatMap((i) => Object.values(i)).filter((x) => x.error && x.status !== 404)
      if (failed.length > 0)
        throw new Error(`bulk: ${failed.length} item(s) failed: ${JSON.stringify(failed[0]?.error)}`)
    },
    async search(index, body) {
      const r = await client.search({ index, body: body })
      const b = r.body as unknown as {
        hits: { hits: { _source: unknown; _score?: number | null }[] }
        aggregations?: unknown
      }
      return {
        hits: b.hits.hits.map((h) => ({ _source: h._source, _score: h._score ?? null })),
        aggregations: b.aggregations,
      }
    },
    async deleteByQuery(index, query) {
      const r = await client.deleteByQuery({ index, body: { query }, refresh: true, conflicts: 'proceed' })
      return Number((r.body as { deleted?: number }).deleted ?? 0)
    },
    close: () => client.close(),
  }
  return createDocumentIndexEngine('opensearch', port, opts.index)
}
