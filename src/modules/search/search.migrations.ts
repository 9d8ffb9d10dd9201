import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * Search (range 1100–1199, docs/adr/0005): the PostgreSQL engine's documents (ADR 1100).
 *
 * `body` is clear text that was already clear at its source, folded (screening normaliser, then
 * unaccent + lower here); its trigram GIN index answers typos and the `simple` full-text index answers
 * prefixes. Encrypted fields reach the index only as keyed 64-bit tokens (`sealed`) and identifiers as
 * exact keys (`keys`; blind-index hex for encrypted identifiers): both have a GIN array index.
 */
const documents: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE EXTENSION IF NOT EXISTS pg_trgm`,
      `CREATE EXTENSION IF NOT EXISTS unaccent`,
      `CREATE EXTENSION IF NOT EXISTS fuzzystrmatch`,
      `CREATE TABLE search_documents (
        tenant_id   text NOT NULL,
        doc_type    text NOT NULL,
        doc_id      text NOT NULL,
        title       text NOT NULL,
        body        text NOT NULL,
        sealed      bigint[] NOT NULL,
        keys        text[] NOT NULL,
        occurred_at timestamptz NOT NULL,
        amount      bigint,
        currency    text,
        attributes  jsonb NOT NULL,
        indexed_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, doc_type, doc_id)
      )`,
      `CREATE INDEX search_documents_trgm ON search_documents USING gin (body gin_trgm_ops)`,
      `CREATE INDEX search_documents_fts ON search_documents USING gin (to_tsvector('simple', body))`,
      `CREATE INDEX search_documents_sealed ON search_documents USING gin (sealed)`,
      `CREATE INDEX search_documents_keys ON search_documents USING gin (keys)`,
      // Where the projector is: the last event it applied per tenant and type (lag and `search status`).
      `CREATE TABLE search_progress (
        tenant_id     text NOT NULL,
        doc_type      text NOT NULL,
        last_event_at timestamptz NOT NULL,
        indexed_at    timestamptz NOT NULL,
        reindexed_at  timestamptz,
        PRIMARY KEY (tenant_id, doc_type)
      )`,
    ])
  },
}

/**
 * Search latency at 1M + 1M documents (ADR 1100, "Latency"), two changes measured in docs/benchmarks.md:
 *
 * - Trigrams of words only. Identifiers (ids, references, last four: every token with a digit or an
 *   underscore) are matched exactly through `keys` and by prefix through full text; their trigrams
 *   (random hex) were most of the trigram index and ~1 ms of index work per payment document. The
 *   trigram index is now on `search_fuzzy_text(body)`, the body without those tokens.
 * - No GIN pending list. With `fastupdate` on, new documents wait in an unsorted list that every
 *   search reads in full until a vacuum merges it: 13–16 ms per index scan on a table the indexer was
 *   writing to, against 0.02–0.2 ms once merged. Each insert now updates the index itself.
 */
const fuzzyWordsIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE FUNCTION search_fuzzy_text(body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT btrim(regexp_replace(body, '\\S*[0-9_]\\S*', ' ', 'g')) $$`,
      `DROP INDEX search_documents_trgm`,
      `CREATE INDEX search_documents_words_trgm ON search_documents
        USING gin (search_fuzzy_text(body) gin_trgm_ops) WITH (fastupdate = off)`,
      ...['search_documents_fts', 'search_documents_sealed', 'search_documents_keys'].flatMap((ix) => [
        `ALTER INDEX ${ix} SET (fastupdate = off)`,
        `SELECT gin_clean_pending_list('${ix}'::regclass)`,
      ]),
    ])
  },
}

/**
 * A small GIN pending list instead of none (ADR 1100, "Indexing lag"). Without one, each new document
 * walks and splits every GIN index at once: a burst of 10,000 payment documents took 2.0–3.1 s of
 * index work (load ~15), 5.8 s end to end — the 2 s target out of reach. With a 256 kB list the
 * inserts append and the list is merged into the tree in bulk when full: 1.1–1.3 s for the same
 * inserts. Searches read the list unsorted, but 256 kB (not the default 4 MB, which cost 13–16 ms
 * per index scan) keeps that to a fraction of a millisecond to a millisecond or so per index.
 */
const smallPendingLists: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(
      db,
      [
        'search_documents_words_trgm',
        'search_documents_fts',
        'search_documents_sealed',
        'search_documents_keys',
      ].map((ix) => `ALTER INDEX ${ix} SET (fastupdate = on, gin_pending_list_limit = 256)`),
    )
  },
}

/**
 * Amount filters at 1M documents: "4242" with an exact amount matched half the payments through the
 * keys and full-text indexes before the amount narrowed them to a dozen. A btree on the amount lets
 * the planner start from the amount (≈ 15 documents an amount at 1M payments) and check the words on those.
 */
const amountIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE INDEX search_documents_by_amount ON search_documents (tenant_id, amount) WHERE amount IS NOT NULL`,
    ])
  },
}

/**
 * Room on each page for a document's next version (issue #18). A capture re-indexes its payment and
 * its ledger transaction, and only the title and attributes change (status), which no index covers:
 * such an update can be HOT — no entry in the four GIN indexes, no tsvector or trigrams computed —
 * but only when the new version fits on the old one's page, and a burst updates most documents of a
 * page within a few transactions, before the old versions can be pruned. Refreshing 20,000
 * documents (bench/search-refresh.ts): fillfactor 100 (before) 25 % HOT, PostgreSQL 51–52 µs per
 * document; 75: 64 %, 37 µs; 60: 95 %, 27 µs; 50: 100 %, 24 µs. 60 keeps nearly all of it for a
 * table 1.7× as large. Pages written from now on keep the room; older ones get it when the table
 * is rewritten (VACUUM FULL, pg_repack).
 */
const documentsRoomForUpdates: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE search_documents SET (fillfactor = 60)`])
  },
}

export const searchMigrations: NamedMigrations = {
  '1100_search_documents': documents,
  '1101_search_word_trigrams_without_pending_list': fuzzyWordsIndex,
  '1102_search_small_pending_lists': smallPendingLists,
  '1103_search_documents_by_amount': amountIndex,
  '1104_search_documents_room_for_updates': documentsRoomForUpdates,
}
