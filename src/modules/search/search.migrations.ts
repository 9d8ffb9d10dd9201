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

export const searchMigrations: NamedMigrations = {
  '1100_search_documents': documents,
}
