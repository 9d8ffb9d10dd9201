import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'
import { LEDGER_APPLY_FUNCTION } from './ledger.apply.sql.js'

/**
 * Balances live on the account row, rewritten by every batch: fillfactor 50 leaves room on each
 * page so those updates are HOT (no index writes). Transactions get a little room for post/void.
 *
 * Flags: 1 = debits must not exceed credits (+ credit_limit), 2 = credits must not exceed debits
 * (+ credit_limit). The CHECK constraints enforce them in the database whatever code path writes,
 * computed in numeric so that the check itself cannot overflow.
 */
const ledgerCore: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE ledger_accounts (
        tenant_id       text NOT NULL,
        account_id      text NOT NULL,
        code            text,
        currency        text NOT NULL,
        exponent        smallint NOT NULL,
        normal_side     text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
        flags           integer NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 3 AND flags <> 3),
        credit_limit    bigint NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
        metadata        jsonb NOT NULL DEFAULT '{}',
        debits_pending  bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
        debits_posted   bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
        credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
        credits_posted  bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
        entry_seq       bigint NOT NULL DEFAULT 0,
        last_entry_at   timestamptz,
        created_at      timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, account_id),
        CONSTRAINT ledger_debits_within_credits CHECK (
          flags & 1 = 0 OR debits_pending::numeric + debits_posted <= credits_posted::numeric + credit_limit),
        CONSTRAINT ledger_credits_within_debits CHECK (
          flags & 2 = 0 OR credits_pending::numeric + credits_posted <= debits_posted::numeric + credit_limit)
      ) WITH (fillfactor = 50)`,
      `CREATE UNIQUE INDEX ledger_accounts_code ON ledger_accounts (tenant_id, code) WHERE code IS NOT NULL`,
      `CREATE TABLE ledger_transactions (
        tenant_id        text NOT NULL,
        transaction_id   text NOT NULL,
        idempotency_key  text,
        request_hash     text NOT NULL,
        status           text NOT NULL CHECK (status IN ('pending', 'posted', 'voided', 'expired')),
        leg_sources      text[] NOT NULL,
        leg_destinations text[] NOT NULL,
        leg_amounts      bigint[] NOT NULL,
        leg_currencies   text[] NOT NULL,
        posted_amounts   bigint[],
        timeout_at       timestamptz,
        metadata         jsonb NOT NULL DEFAULT '{}',
        created_at       timestamptz NOT NULL,
        resolved_at      timestamptz,
        PRIMARY KEY (tenant_id, transaction_id)
      ) WITH (fillfactor = 80)`,
      `CREATE UNIQUE INDEX ledger_transactions_idempotency
         ON ledger_transactions (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      // The expiry sweeper scans all tenants; a partial index keeps it to the few open holds.
      `CREATE INDEX ledger_transactions_open_timeouts
         ON ledger_transactions (timeout_at) WHERE status = 'pending' AND timeout_at IS NOT NULL`,
      // One row per account touched per phase; seq is gapless per account in lock order, and the
      // four balances are the account's state right after the entry (history, as-of reads, verify).
      `CREATE TABLE ledger_entries (
        tenant_id       text NOT NULL,
        account_id      text NOT NULL,
        seq             bigint NOT NULL,
        transaction_id  text NOT NULL,
        leg             smallint NOT NULL,
        kind            text NOT NULL,
        side            char(1) NOT NULL,
        currency        text NOT NULL,
        pending_delta   bigint NOT NULL,
        posted_delta    bigint NOT NULL,
        debits_pending  bigint NOT NULL,
        debits_posted   bigint NOT NULL,
        credits_pending bigint NOT NULL,
        credits_posted  bigint NOT NULL,
        created_at      timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, account_id, seq)
      )`,
      `CREATE INDEX ledger_entries_by_transaction ON ledger_entries (tenant_id, transaction_id)`,
    ])
  },
}

/**
 * A request hash only matters next to an idempotency key (a replay with another hash is a
 * conflict): keyless creates store none, so the batch path neither computes nor writes one.
 */
const hashOnlyWithKey: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE ledger_transactions ALTER COLUMN request_hash DROP NOT NULL`])
  },
}

/**
 * The ledger's id columns compare byte-wise (COLLATE "C"). Under the database's `C.UTF-8` every
 * B-tree descent, sort and range check on an id went through strcoll; "C" is memcmp and lets sorts
 * use abbreviated keys. Same order on our servers: glibc's C.UTF-8 orders by code point, which is
 * UTF-8 byte order (a server whose default collation is a language's would now order ids byte-wise:
 * ids are ASCII, and every reader orders them through these columns). Backend CPU per
 * 1,000-transfer batch -16 to -27 % (docs/benchmarks/ledger.md, session 15). The three tables change
 * together, so every join among them compares under one collation; comparisons with parameters and
 * other tables' default-collation text take the columns' "C". Only the indexes are rebuilt (the
 * type stays text), under an ACCESS EXCLUSIVE lock for the length of the rebuild.
 */
const idsCollateC: Migration = {
  async up(db: Kysely<unknown>) {
    const c = (col: string) => `ALTER COLUMN ${col} TYPE text COLLATE "C"`
    await runStatements(db, [
      `ALTER TABLE ledger_accounts ${c('tenant_id')}, ${c('account_id')}`,
      `ALTER TABLE ledger_transactions ${c('tenant_id')}, ${c('transaction_id')}`,
      `ALTER TABLE ledger_entries ${c('tenant_id')}, ${c('account_id')}, ${c('transaction_id')}`,
    ])
  },
}

/**
 * A running sum that stays bigint: sum(bigint) returns numeric, so the batch's running balances
 * (four per entry) were numeric, converted back per entry and per account. int8pl raises on
 * overflow; ledger_apply only uses this aggregate when the batch cannot overflow (see there).
 */
const runningSum: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE AGGREGATE ledger_running_sum(bigint) (SFUNC = int8pl, STYPE = bigint, INITCOND = '0')`,
    ])
  },
}

export const ledgerMigrations: NamedMigrations = {
  '0010_ledger_core': ledgerCore,
  '0011_ledger_hash_only_with_key': hashOnlyWithKey,
  '0012_ledger_ids_collate_c': idsCollateC,
  '0013_ledger_running_sum': runningSum,
}

/** Applied (CREATE OR REPLACE) on every migrate, after the tables exist. */
export const ledgerRoutines: readonly string[] = [LEDGER_APPLY_FUNCTION]
