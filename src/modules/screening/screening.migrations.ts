import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // One row per (tenant, list): which snapshot is active.
      `CREATE TABLE screening_lists (
        tenant_id          text NOT NULL,
        list_id            text NOT NULL,
        active_snapshot_id text NOT NULL,
        updated_at         timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, list_id)
      )`,
      `CREATE TABLE screening_snapshots (
        tenant_id    text NOT NULL,
        snapshot_id  text NOT NULL,
        list_id      text NOT NULL,
        format       text NOT NULL,
        source       text NOT NULL,
        sha256       text NOT NULL,
        entry_count  integer NOT NULL,
        added        integer NOT NULL,
        removed      integer NOT NULL,
        changed      integer NOT NULL,
        imported_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, snapshot_id)
      )`,
      `CREATE INDEX screening_snapshots_by_list ON screening_snapshots (tenant_id, list_id, imported_at)`,
      // The current state of every entry ever seen; removed_in is set when a snapshot drops it.
      `CREATE TABLE screening_entries (
        tenant_id    text NOT NULL,
        list_id      text NOT NULL,
        entry_key    text NOT NULL,
        content_hash text NOT NULL,
        data         jsonb NOT NULL,
        updated_in   text NOT NULL,
        removed_in   text,
        PRIMARY KEY (tenant_id, list_id, entry_key)
      )`,
      // The diff of each snapshot against the one before: every version of every entry is kept.
      `CREATE TABLE screening_entry_changes (
        tenant_id    text NOT NULL,
        snapshot_id  text NOT NULL,
        list_id      text NOT NULL,
        entry_key    text NOT NULL,
        change       text NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
        content_hash text NOT NULL,
        data         jsonb NOT NULL,
        PRIMARY KEY (tenant_id, snapshot_id, entry_key)
      )`,
      // Customers and counterparties as last screened; fingerprint changes when any screened field does.
      `CREATE TABLE screening_subjects (
        tenant_id   text NOT NULL,
        subject_id  text NOT NULL,
        query       jsonb NOT NULL,
        fingerprint text NOT NULL,
        updated_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, subject_id)
      )`,
      `CREATE TABLE screening_decisions (
        tenant_id           text NOT NULL,
        decision_id         text NOT NULL,
        subject_id          text NOT NULL,
        list_id             text NOT NULL,
        entry_key           text NOT NULL,
        decision            text NOT NULL CHECK (decision IN ('not_a_match', 'true_match')),
        subject_fingerprint text NOT NULL,
        entry_hash          text NOT NULL,
        analyst             text NOT NULL,
        reason              text NOT NULL,
        created_at          timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, decision_id)
      )`,
      `CREATE INDEX screening_decisions_by_pair ON screening_decisions (tenant_id, subject_id, list_id, entry_key)`,
      `CREATE TABLE screening_alerts (
        tenant_id           text NOT NULL,
        alert_id            text NOT NULL,
        subject_id          text NOT NULL,
        list_id             text NOT NULL,
        entry_key           text NOT NULL,
        entry_hash          text NOT NULL,
        subject_fingerprint text NOT NULL,
        score               double precision NOT NULL,
        explanation         jsonb NOT NULL,
        source              text NOT NULL CHECK (source IN ('screen', 'rescreen')),
        status              text NOT NULL DEFAULT 'open',
        created_at          timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, alert_id)
      )`,
      // One alert per (subject version, entry version): screening twice does not alert twice.
      `CREATE UNIQUE INDEX screening_alerts_once ON screening_alerts
        (tenant_id, subject_id, list_id, entry_key, entry_hash, subject_fingerprint)`,
      `CREATE TABLE screening_audit (
        tenant_id  text NOT NULL,
        audit_id   text NOT NULL,
        action     text NOT NULL,
        actor      text NOT NULL,
        subject_id text,
        list_id    text,
        entry_key  text,
        details    jsonb NOT NULL,
        at         timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, audit_id)
      )`,
    ])
  },
}

export const screeningMigrations: NamedMigrations = { '0400_screening_core': core }
