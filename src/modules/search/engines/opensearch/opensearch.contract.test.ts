import { randomBytes } from 'node:crypto'
import { describe } from 'vitest'
import { searchEngineContract } from '../../search.contract.js'
import { createOpenSearchEngine } from './client.js'

// No OpenSearch server runs here: the suite is reported skipped unless MONETA_TEST_OPENSEARCH_URL is set.
const url = process.env.MONETA_TEST_OPENSEARCH_URL

describe.skipIf(!url)('opensearch search engine', () => {
  searchEngineContract('opensearch', () => {
    const index = `moneta-search-test-${randomBytes(4).toString('hex')}`
    const engine = createOpenSearchEngine({ url: url!, index })
    return Promise.resolve({ engine, close: () => engine.close() })
  })
})
