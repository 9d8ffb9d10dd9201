import type { SearchConfig } from './config.js'
import {
  createElasticsearchEngine,
  createOpenSearchEngine,
  createPostgresEngine,
  type SearchEngine,
} from './modules/search/index.js'
import type { Db } from './shared/db/connect.js'

/** The search engine MONETA_SEARCH_ENGINE names (config validated that a URL comes with a vendor engine). */
export function searchEngineOf(config: SearchConfig, db: Db): SearchEngine {
  switch (config.engine) {
    case 'postgres':
      return createPostgresEngine(db)
    case 'elasticsearch':
      return createElasticsearchEngine({ url: config.url!, index: config.index })
    case 'opensearch':
      return createOpenSearchEngine({ url: config.url!, index: config.index })
  }
}
