/**
 * Search over parties, payments, ledger accounts and transactions, bank counterparties and market
 * instruments: typo-tolerant, prefix, transliteration-aware, exact on identifiers, filtered by tenant
 * always. Engines behind one port (PostgreSQL default; Elasticsearch, OpenSearch). The one file other
 * modules import.
 */
export { SEARCH_TYPES, isSearchType, foldText, identifierKey } from './search.js'
export type {
  SearchType,
  SearchDocument,
  SearchQuery,
  SearchHit,
  SearchPage,
  Highlight,
  EngineQuery,
  Candidate,
} from './search.js'
export type { SearchEngine } from './engine.js'
export { createPostgresEngine, explainSearch } from './engines/postgres.js'
export { createSearchService, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_LENGTH } from './search.service.js'
export type { SearchService, SearchServiceDeps, RevealTitles } from './search.service.js'
export { SEARCH_ERRORS, searchError } from './search.errors.js'
export type { SearchErrorCode } from './search.errors.js'
export { searchMigrations } from './search.migrations.js'
export { createSearch } from './create-search.js'
export type { Search, SearchDeps, SearchStatus } from './create-search.js'
export { SEARCH_CONSUMER_GROUP, applyEvents } from './indexer.js'
export type { ReindexProgress, ReindexResult } from './indexer.js'
export { loadInstrumentReferences } from './sources/market.source.js'
export type { InstrumentReference } from './sources/market.source.js'
export { createElasticsearchEngine } from './engines/elasticsearch/client.js'
export { createOpenSearchEngine } from './engines/opensearch/client.js'
export { parseSearchInput } from './query-input.js'
export type { SearchInput } from './query-input.js'
