import type { Candidate, EngineQuery, SearchDocument, SearchType } from './search.js'

/**
 * The search engine port. Adapters: PostgreSQL (default; PGlite or a server: engines/postgres.ts),
 * Elasticsearch and OpenSearch (engines/elasticsearch.ts, engines/opensearch.ts). Every adapter passes
 * the one contract suite in search.contract.ts.
 *
 * An engine retrieves candidates; it does not decide the final order (the service ranks them the
 * same way for every engine). What an engine must do:
 *  - never return a document of another tenant (every read and delete is scoped by `tenantId`);
 *  - match `text` fuzzily: any document whose body has a word within one or two edits, or a word
 *    the query word starts (prefix), ranked roughly by similarity;
 *  - match `keys` exactly against a document's keys, and a document whose sealed tokens meet every
 *    one of `sealedGroups` (each group: any of its tokens);
 *  - apply every filter (types, date range on occurredAt, amount range, currency) exactly;
 *  - make an upsert visible to the next search (refresh before returning).
 * Failures: a down or misconfigured engine throws SEARCH_ENGINE_UNAVAILABLE (service maps it).
 */
export interface SearchEngine {
  readonly name: 'postgres' | 'elasticsearch' | 'opensearch'
  /** Creates indexes or mappings when missing (the PostgreSQL tables come from migrations). */
  init(): Promise<void>
  /** Inserts or replaces documents by (tenant, type, id); `indexedAt` is stored for `removeStale`. */
  upsert(docs: readonly SearchDocument[], indexedAt: Date): Promise<void>
  remove(tenantId: string, type: SearchType, ids: readonly string[]): Promise<void>
  /** Removes a tenant's documents of a type indexed before `before` (what a reindex did not see again). */
  removeStale(tenantId: string, type: SearchType, before: Date): Promise<number>
  search(query: EngineQuery): Promise<readonly Candidate[]>
  /**
   * After a reindex rewrote a tenant's documents: bring up to date what the engine plans its searches
   * with. PostgreSQL ANALYZEs the documents table — without statistics (a fresh or rebuilt table before
   * autovacuum reached it) the planner filtered the tenant's whole key range: 1.0–2.2 s a search on
   * 51,066 real names instead of 15–25 ms (`npm run bench -- search-names`, session 17). Engines whose
   * upserts need nothing more leave it out.
   */
  afterReindex?(): Promise<void>
  /** Documents of a tenant, per type (for `moneta search status` and tests). */
  count(tenantId: string): Promise<Readonly<Partial<Record<SearchType, number>>>>
  close(): Promise<void>
}
