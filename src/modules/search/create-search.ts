import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { FieldCipher } from '../crypto/index.js'
import type { EventBus, Subscription } from '../events/index.js'
import { partyIdentifierIndex } from '../parties/index.js'
import type { SearchEngine } from './engine.js'
import {
  reindex,
  startIndexer,
  type IndexerDeps,
  type ReindexProgress,
  type ReindexResult,
} from './indexer.js'
import type { Sealer } from './sealed.js'
import type { SearchType } from './search.js'
import { createSearchService, type SearchService } from './search.service.js'
import { counterpartiesSource } from './sources/banking.source.js'
import { ledgerAccountsSource, ledgerTransactionsSource } from './sources/ledger.source.js'
import { instrumentsSource, type InstrumentReference } from './sources/market.source.js'
import { partiesSource, revealPartyNames } from './sources/parties.source.js'
import { paymentsSource } from './sources/payments.source.js'
import type { SearchSource } from './sources/source.js'

export interface SearchDeps {
  readonly db: Db
  readonly engine: SearchEngine
  readonly fieldCipher: FieldCipher
  readonly instruments?: ReadonlyMap<string, InstrumentReference> | undefined
  readonly onLag?: IndexerDeps['onLag']
}

export interface SearchStatus {
  readonly engine: SearchEngine['name']
  readonly documents: Readonly<Partial<Record<SearchType, number>>>
  /** Per type: the newest event applied and when (lag = indexedAt − lastEventAt at that moment). */
  readonly progress: readonly { type: string; lastEventAt: Date; indexedAt: Date; reindexedAt: Date | null }[]
}

/** The search module as the app uses it: queries, the event indexer, reindex and status. */
export interface Search extends SearchService {
  readonly engine: SearchEngine
  readonly sources: readonly SearchSource[]
  startIndexer(bus: EventBus, opts?: { consumerName?: string }): Promise<Subscription>
  reindex(
    tenant: string,
    opts?: { types?: readonly SearchType[]; pageSize?: number; onProgress?: (p: ReindexProgress) => void },
  ): Promise<ReindexResult>
  status(tenant: string): Promise<SearchStatus>
}

/** Blind-index domain of the sealed name tokens (the tenant's blind-index key, its own column). */
const SEALED_FIELD = { table: 'search_documents', column: 'sealed' }

export function createSearch(deps: SearchDeps): Search {
  const sealer =
    (tenant: string): Sealer =>
    (feature) =>
      deps.fieldCipher
        .blindIndex(tenant, SEALED_FIELD, feature, { bytes: 8, normalize: (v) => v })
        .toString('hex')
  const sources: SearchSource[] = [
    partiesSource({ db: deps.db, fieldCipher: deps.fieldCipher, sealer }),
    paymentsSource(deps.db),
    ledgerAccountsSource(deps.db),
    ledgerTransactionsSource(deps.db),
    counterpartiesSource(deps.db),
    instrumentsSource(deps.db, deps.instruments ?? new Map()),
  ]
  const names = revealPartyNames(deps)
  const service = createSearchService({
    engine: deps.engine,
    sealer,
    identifierIndexes: (tenant, value) => [
      partyIdentifierIndex(deps.fieldCipher, tenant, value).toString('hex'),
    ],
    reveal: (tenant, type, ids) => (type === 'party' ? names(tenant, ids) : Promise.resolve(new Map())),
    sealedTypes: ['party'],
  })
  const indexerDeps: IndexerDeps = { db: deps.db, engine: deps.engine, sources, onLag: deps.onLag }
  return {
    ...service,
    engine: deps.engine,
    sources,
    startIndexer: (bus, opts) => startIndexer(bus, indexerDeps, opts),
    reindex: (tenant, opts) => reindex(indexerDeps, tenant, opts),
    async status(tenant) {
      const r = await sql<{
        doc_type: string
        last_event_at: Date
        indexed_at: Date
        reindexed_at: Date | null
      }>`
        SELECT doc_type, last_event_at, indexed_at, reindexed_at FROM search_progress
        WHERE tenant_id = ${tenant} ORDER BY doc_type`.execute(deps.db)
      return {
        engine: deps.engine.name,
        documents: await deps.engine.count(tenant),
        progress: r.rows.map((x) => ({
          type: x.doc_type,
          lastEventAt: new Date(x.last_event_at),
          indexedAt: new Date(x.indexed_at),
          reindexedAt: x.reindexed_at ? new Date(x.reindexed_at) : null,
        })),
      }
    },
  }
}
