import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * The outbox is written by producers in their own transaction (the ledger's `ledger_apply` inserts
 * into it directly): an insert needs only tenant_id, topic, partition_key and payload.
 */
const eventsCore: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE event_outbox (
        tenant_id     text        NOT NULL,
        seq           bigint      GENERATED ALWAYS AS IDENTITY,
        event_id      text        NOT NULL DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
        topic         text        NOT NULL,
        partition_key text        NOT NULL,
        payload       jsonb       NOT NULL,
        headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
        lane          smallint    GENERATED ALWAYS AS ((hashtext(partition_key) & 15)::smallint) STORED,
        created_at    timestamptz NOT NULL DEFAULT now(),
        sent_at       timestamptz,
        publish_count integer     NOT NULL DEFAULT 0,
        failed_at     timestamptz,
        last_error    text,
        PRIMARY KEY (tenant_id, seq)
      )`,
      `CREATE UNIQUE INDEX event_outbox_event_id ON event_outbox (tenant_id, event_id)`,
      // The relay's work queue: small, because sent rows leave it.
      `CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE sent_at IS NULL AND failed_at IS NULL`,
      // Retention and republishing.
      `CREATE INDEX event_outbox_sent_at ON event_outbox (sent_at) WHERE sent_at IS NOT NULL`,
      `CREATE FUNCTION event_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('moneta_outbox', '');
        RETURN NULL;
      END
      $$`,
      `CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
        FOR EACH STATEMENT EXECUTE FUNCTION event_outbox_notify()`,
      `CREATE TABLE event_inbox (
        tenant_id      text        NOT NULL,
        consumer_group text        NOT NULL,
        event_id       text        NOT NULL,
        processed_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, consumer_group, event_id)
      )`,
      `CREATE INDEX event_inbox_processed_at ON event_inbox (processed_at)`,
      `CREATE TABLE event_dead_letters (
        tenant_id      text        NOT NULL,
        dead_letter_id text        NOT NULL,
        consumer_group text        NOT NULL,
        event_id       text        NOT NULL,
        topic          text        NOT NULL,
        partition_key  text        NOT NULL,
        payload        jsonb       NOT NULL,
        headers        jsonb       NOT NULL DEFAULT '{}'::jsonb,
        occurred_at    timestamptz NOT NULL,
        error          text        NOT NULL,
        attempts       integer     NOT NULL,
        failed_at      timestamptz NOT NULL DEFAULT now(),
        retried_at     timestamptz,
        PRIMARY KEY (tenant_id, dead_letter_id)
      )`,
      `CREATE UNIQUE INDEX event_dead_letters_open ON event_dead_letters (tenant_id, consumer_group, event_id)
        WHERE retried_at IS NULL`,
      `CREATE INDEX event_dead_letters_failed_at ON event_dead_letters (failed_at)`,
    ])
  },
}

/**
 * An UPDATE that marks a row sent cannot be HOT (sent_at is in the pending index's predicate), so it
 * writes a new entry into every index of the table: keep only the primary key and the pending queue.
 * Retention purges by created_at through a BRIN index (cheap to maintain); republishing, a rare
 * recovery step, filters sent_at without an index.
 */
const outboxLeanIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `DROP INDEX IF EXISTS event_outbox_event_id`,
      `DROP INDEX IF EXISTS event_outbox_sent_at`,
      `CREATE INDEX event_outbox_created_brin ON event_outbox USING brin (created_at)`,
      `ALTER TABLE event_outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000)`,
    ])
  },
}

/**
 * Event ids shaped like the application's ids (UUIDv7 hex: 48-bit ms time first), so inbox primary
 * keys grow at the right edge of the B-tree instead of landing on random pages.
 */
const timeOrderedEventIds: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE event_outbox ALTER COLUMN event_id SET DEFAULT (
        'evt_' || lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
        || substr(replace(gen_random_uuid()::text, '-', ''), 1, 19))`,
    ])
  },
}

/**
 * The relay keeps a cursor instead of marking rows sent (ADR 0101). A row's seq now comes from
 * event_outbox_next_seq(), which gives the transaction its id before it takes the sequence value:
 * the relay's proof that a missing seq can no longer commit rests on that order. The pending index
 * goes (no per-row state to index); the relay reads by seq; republish requests are the only
 * per-row mark left, indexed only while set.
 */
const relayCursor: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE SEQUENCE event_outbox_seq_gen AS bigint`,
      `SELECT setval('event_outbox_seq_gen', coalesce((SELECT max(seq) FROM event_outbox), 0) + 1, false)`,
      `CREATE FUNCTION event_outbox_next_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_current_xact_id();
        RETURN nextval('event_outbox_seq_gen');
      END
      $$`,
      `ALTER TABLE event_outbox ALTER COLUMN seq DROP IDENTITY`,
      `ALTER TABLE event_outbox ALTER COLUMN seq SET DEFAULT event_outbox_next_seq()`,
      `ALTER TABLE event_outbox ADD COLUMN republish_at timestamptz`,
      `CREATE INDEX event_outbox_seq ON event_outbox (seq)`,
      `CREATE INDEX event_outbox_republish ON event_outbox (seq) WHERE republish_at IS NOT NULL`,
      `DROP INDEX IF EXISTS event_outbox_pending`,
      // Platform tables (no tenant): a relay's scope may span tenants; on Citus, reference tables.
      `CREATE TABLE event_relay_cursors (
        relay_key  text        PRIMARY KEY,
        watermark  bigint      NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
      `CREATE TABLE event_relay_progress (
        relay_key text        NOT NULL,
        at        timestamptz NOT NULL,
        watermark bigint      NOT NULL,
        PRIMARY KEY (relay_key, at)
      )`,
    ])
  },
}

/**
 * The INSERT trigger's NOTIFY made every transaction that wrote events take PostgreSQL's server-wide
 * notify lock at commit and hold it across the commit's WAL flush: those commits ran one at a time
 * (issue #18; the webhook inbox's trigger went the same way in 0541). The writer now wakes the relay
 * after its transaction committed (Outbox, shared/db/commit-hooks.ts); the relay still polls.
 */
const notifyAfterCommit: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `DROP TRIGGER IF EXISTS event_outbox_notify ON event_outbox`,
      `DROP FUNCTION IF EXISTS event_outbox_notify()`,
    ])
  },
}

export const eventsMigrations: NamedMigrations = {
  '0100_events_core': eventsCore,
  '0101_events_outbox_lean_indexes': outboxLeanIndexes,
  '0102_events_time_ordered_ids': timeOrderedEventIds,
  '0103_events_relay_cursor': relayCursor,
  '0104_events_outbox_notify_after_commit': notifyAfterCommit,
}
