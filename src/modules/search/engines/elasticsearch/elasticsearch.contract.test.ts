import { randomBytes } from 'node:crypto'
import { describe } from 'vitest'
import { searchEngineContract } from '../../search.contract.js'
import { createElasticsearchEngine } from './client.js'

// No Elasticsearch server runs here: the suite is reported skipped unless MONETA_TEST_ELASTICSEARCH_URL is set.
const url = process.env.MONETA_TEST_ELASTICSEARCH_URL

describe.skipIf(!url)('elasticsearch search engine', () => {
  searchEngineContract('elasticsearch', () => {
    const index = `moneta-search-test-${randomBytes(4).toString('hex')}`
    const engine = createElasticsearchEngine({ url: url!, index })
    return Promise.resolve({ engine, close: () => engine.close() })
  })
})
