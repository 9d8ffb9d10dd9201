import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // Personal fields live only in details_ct (field cipher, bound to tenant/table/column/party id).
      // What is in clear is what operations filter on and carries no personal data.
      `CREATE TABLE parties (
        tenant_id        text NOT NULL,
        party_id         text NOT NULL,
        kind             text NOT NULL CHECK (kind IN ('person', 'organisation')),
        roles            text[] NOT NULL,
        status           text NOT NULL CHECK (status IN ('onboarding', 'active', 'restricted', 'exited')),
        details_ct       bytea NOT NULL,
        products         text[] NOT NULL,
        risk_level       text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high', 'prohibited')),
        risk_score       integer NOT NULL,
        risk_reasons     jsonb NOT NULL,
        monitoring_alerts integer NOT NULL DEFAULT 0,
        screening_status text NOT NULL
          CHECK (screening_status IN ('not_screened', 'clear', 'possible_match', 'confirmed_match')),
        screened_at      timestamptz,
        -- The last screening's unsuppressed hits: list keys and scores only (public list data).
        screening_hits   jsonb NOT NULL DEFAULT '[]',
        version          integer NOT NULL,
        idempotency_key  text,
        request_hash     text,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, party_id)
      )`,
      `CREATE UNIQUE INDEX parties_idempotency ON parties (tenant_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX parties_by_status ON parties (tenant_id, status, party_id)`,
      `CREATE INDEX parties_by_risk ON parties (tenant_id, risk_level, party_id)`,
      // Equality search without decrypting: keyed blind indexes of exact normalised names and identifiers.
      `CREATE TABLE party_search (
        tenant_id text NOT NULL,
        field     text NOT NULL CHECK (field IN ('name', 'identifier')),
        bidx      bytea NOT NULL,
        party_id  text NOT NULL,
        PRIMARY KEY (tenant_id, field, bidx, party_id)
      )`,
      `CREATE INDEX party_search_by_party ON party_search (tenant_id, party_id)`,
      // Which payments, payouts, bank transfers and ledger accounts reference a party.
      `CREATE TABLE party_links (
        tenant_id   text NOT NULL,
        party_id    text NOT NULL,
        object_kind text NOT NULL,
        object_id   text NOT NULL,
        role        text NOT NULL,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, party_id, object_kind, object_id)
      )`,
      `CREATE INDEX party_links_by_object ON party_links (tenant_id, object_kind, object_id)`,
      // A money-moving command to a possible sanctions match, held until a decision; the request is
      // replayed with its own idempotency key on release.
      `CREATE TABLE screening_holds (
        tenant_id       text NOT NULL,
        hold_id         text NOT NULL,
        kind            text NOT NULL,
        party_id        text NOT NULL,
        idempotency_key text,
        request         jsonb NOT NULL,
        hits            jsonb NOT NULL,
        status          text NOT NULL CHECK (status IN ('held', 'released', 'rejected')),
        decided_by      text,
        reason          text,
        result_id       text,
        created_at      timestamptz NOT NULL,
        decided_at      timestamptz,
        PRIMARY KEY (tenant_id, hold_id)
      )`,
      `CREATE UNIQUE INDEX screening_holds_idempotency ON screening_holds (tenant_id, kind, idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX screening_holds_by_status ON screening_holds (tenant_id, status, hold_id)`,
    ])
  },
}

// Each fetch of a configured sanctions list source, per tenant it serves: imported, unchanged or refused
// (with why). `moneta lists sources` and /health read the latest; a refusal also raises an alert event.
const listFetches: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE list_fetches (
        tenant_id   text NOT NULL,
        fetch_id    text NOT NULL,
        source_id   text NOT NULL,
        status      text NOT NULL CHECK (status IN ('imported', 'unchanged', 'refused')),
        reason      text,
        detail      text,
        entry_count integer,
        snapshot_id text,
        fetched_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, fetch_id)
      )`,
      `CREATE INDEX list_fetches_by_source ON list_fetches (tenant_id, source_id, fetched_at)`,
    ])
  },
}

export const partiesMigrations: NamedMigrations = {
  '0900_parties_core': core,
  '0901_parties_list_fetches': listFetches,
}
