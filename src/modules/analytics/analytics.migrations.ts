import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/** The source tables the export reads, and whether their rows change after insert (ADR 1200). */
const SOURCES: readonly { table: string; mutable: boolean }[] = [
  { table: 'ledger_entries', mutable: false },
  { table: 'monitoring_transactions', mutable: false },
  { table: 'monitoring_alerts', mutable: true },
  { table: 'payments', mutable: true },
  { table: 'payment_webhook_inbox', mutable: true },
]

/**
 * The export cursor (ADR 1200). Every exported row carries `analytics_seq`, taken from one sequence
 * by a function that first gives the transaction its id — the same order the outbox relies on
 * (ADR 0101) — so a reader can tell when every seq up to a value has committed or rolled back.
 * Mutable rows take a new seq on every update: the export then carries a new version of the row.
 * BRIN indexes: a few pages per table, written rarely, and (PostgreSQL 16+) they keep updates HOT.
 */
const cursor: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE SEQUENCE analytics_seq_gen AS bigint`,
      `CREATE FUNCTION analytics_next_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_current_xact_id();
        RETURN nextval('analytics_seq_gen');
      END
      $$`,
      `CREATE FUNCTION analytics_touch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.analytics_seq := analytics_next_seq();
        RETURN NEW;
      END
      $$`,
      ...SOURCES.flatMap(({ table, mutable }) => [
        `ALTER TABLE ${table} ADD COLUMN analytics_seq bigint NOT NULL DEFAULT analytics_next_seq()`,
        `CREATE INDEX ${table}_analytics_seq ON ${table} USING brin (analytics_seq)`,
        ...(mutable
          ? [
              `CREATE TRIGGER ${table}_analytics_touch BEFORE UPDATE ON ${table}
               FOR EACH ROW EXECUTE FUNCTION analytics_touch()`,
            ]
          : []),
      ]),
      // Platform table (no tenant): one export covers every tenant, as the outbox relay does.
      `CREATE TABLE analytics_export_cursors (
        export_key    text PRIMARY KEY,
        watermark     bigint NOT NULL DEFAULT 0,
        pending_high  bigint,
        pending_phase text CHECK (pending_phase IN ('reading', 'staged')),
        lease_owner   text,
        lease_until   timestamptz,
        rows_exported bigint NOT NULL DEFAULT 0,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`,
    ])
  },
}

/**
 * Writers announce themselves (ADR 1200, "Horizon"): taking a seq first takes a shared,
 * transaction-scoped advisory lock, so the export's horizon waits only for open transactions that
 * hold seqs in this database — not, as a cluster-wide snapshot xmin did, for every transaction on
 * the server (another database's long transaction, an idle session). Shared locks never conflict
 * with each other; re-taking one a transaction already holds is a local hash lookup.
 */
const writerLock: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE OR REPLACE FUNCTION analytics_next_seq() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(${ANALYTICS_WRITER_LOCK.join(', ')});
        RETURN nextval('analytics_seq_gen');
      END
      $$`,
    ])
  },
}

/** (classid, objid) of the advisory lock every seq-taking transaction holds until it ends. */
export const ANALYTICS_WRITER_LOCK = [1200, 1] as const

export const analyticsMigrations: NamedMigrations = {
  '1200_analytics_export_cursor': cursor,
  '1201_analytics_writer_lock': writerLock,
}
