import { Client } from '@elastic/elasticsearch'
import type { SearchEngine } from '../../engine.js'
import { createDocumentIndexEngine, type IndexClient } from '../document-index.js'

/** Fails a bulk call whose items failed (the call itself answers 200 with `errors: true`). */
function checkBulk(r: {
  errors: boolean
  items: readonly Record<string, { error?: unknown; status?: number }>[]
}) {
  if (!r.errors) return
  const failed = r.items.flatMap((i) => Object.values(i)).filter((x) => x.error && x.status !== 404)
  if (failed.length > 0)
    throw new Error(`bulk: ${failed.length} item(s) failed: ${JSON.stringify(failed[0]?.error)}`)
}

/** The Elasticsearch adapter, through the official client (`@elastic/elasticsearch`). */
export function createElasticsearchEngine(opts: { url: string; index: string }): SearchEngine {
  const client = new Client({ node: opts.url })
  const port: IndexClient = {
    async ensureIndex(index, settings, mappings) {
      if (await client.indices.exists({ index })) return
      await client.indices.create({ index, settings, mappings })
    },
    async bulk(operations) {
      checkBulk(await client.bulk({ operations: operations as object[], refresh: 'wait_for' }))
    },
    async search(index, body) {
      const r = await client.search({ index, ...body })
      return {
        hits: r.hits.hits.map((h) => ({ _source: h._source, _score: h._score ?? null })),
        aggregations: r.aggregations,
      }
    },
    async deleteByQuery(index, query) {
      const r = await client.deleteByQuery({ index, query: query, refresh: true, conflicts: 'proceed' })
      return r.deleted ?? 0
    },
    close: () => client.close(),
  }
  return createDocumentIndexEngine('elasticsearch', port, opts.index)
}
