import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * One Merkle log per tenant. `entry` is the exact text hashed into the leaf (NULL once pruned by
 * retention: the leaf hash and MAC stay, so the tree still verifies). `audit_heads` serialises
 * appends per tenant (row lock) and carries the compact frontier so an append is O(log n).
 */
const auditLog: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE audit_entries (
        tenant_id  text NOT NULL,
        seq        bigint NOT NULL,
        entry      text,
        leaf_hash  bytea NOT NULL,
        mac        bytea NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`,
      `CREATE TABLE audit_heads (
        tenant_id  text PRIMARY KEY,
        tree_size  bigint NOT NULL,
        frontier   bytea NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
      `CREATE TABLE audit_checkpoints (
        tenant_id  text NOT NULL,
        tree_size  bigint NOT NULL,
        root       bytea NOT NULL,
        signed_at  text NOT NULL,
        key_id     text NOT NULL,
        signature  bytea NOT NULL,
        PRIMARY KEY (tenant_id, tree_size)
      )`,
    ])
  },
}

/**
 * Entries written with the change they describe (ADR 0211): a producer inserts a row here in its own
 * transaction (or awaits the insert before acknowledging), and the appender moves rows into the
 * Merkle log, deleting them in the transaction that appends them, so each is appended exactly once.
 * `seq` orders the drain; the table stays small because appended rows leave it.
 */
const auditIntake: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE audit_intake (
        tenant_id   text        NOT NULL,
        seq         bigint      GENERATED ALWAYS AS IDENTITY,
        record      text        NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      )`,
      `CREATE INDEX audit_intake_seq ON audit_intake (seq)`,
    ])
  },
}

/**
 * One intake row per tenant per statement instead of one per record (issue #18): a round of 500
 * webhook captures wrote 500 rows and 1,000 index entries here, then deleted the 500 in the append,
 * for entries that only wait to be moved. `record` now holds either one record (rows written before
 * this migration) or a JSON array of them, `entries` how many, so the appender can take about
 * `limit` records and `pending()` can count them without parsing. A row is still taken (deleted)
 * whole in the transaction that appends it: exactly once, as before.
 */
const intakeBatchRows: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE audit_intake ADD COLUMN entries integer NOT NULL DEFAULT 1 CHECK (entries > 0)`,
    ])
  },
}

export const auditMigrations: NamedMigrations = {
  '0210_audit_log': auditLog,
  '0220_audit_intake': auditIntake,
  '0221_audit_intake_batch_rows': intakeBatchRows,
}
