import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../../shared/db/migrate.js'

/** Reconciliation runs (payments range 0570–0599). Matched lines are counted, differences kept. */
const runs: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_reconciliation_runs (
        tenant_id      text NOT NULL,
        run_id         text NOT NULL,
        gateway        text NOT NULL,
        range_from     timestamptz NOT NULL,
        range_to       timestamptz NOT NULL,
        status         text NOT NULL CHECK (status IN ('reconciled', 'mismatched', 'empty', 'failed')),
        trigger        text NOT NULL,
        counts         jsonb NOT NULL,
        records        integer NOT NULL,
        facts          integer NOT NULL,
        other_tenants  integer NOT NULL,
        error          text,
        started_at     timestamptz NOT NULL,
        finished_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, run_id),
        CHECK (range_from < range_to)
      )`,
      `CREATE INDEX payment_reconciliation_runs_by_period
        ON payment_reconciliation_runs (tenant_id, gateway, range_from, range_to)`,
      `CREATE TABLE payment_reconciliation_lines (
        tenant_id         text NOT NULL,
        run_id            text NOT NULL,
        line_no           integer NOT NULL,
        status            text NOT NULL,
        kind              text NOT NULL,
        gateway_ref       text NOT NULL,
        payment_id        text,
        gateway_amount    bigint,
        ledger_amount     bigint,
        gateway_currency  text,
        ledger_currency   text,
        record_ids        jsonb NOT NULL,
        ledger_txn_ids    jsonb NOT NULL,
        explanation       text NOT NULL,
        PRIMARY KEY (tenant_id, run_id, line_no)
      )`,
    ])
  },
}

/**
 * Settlement records no tenant can be shown (no payment reference, or one no tenant booked: payouts,
 * account fees, charges made outside Moneta) belong to the platform owner's runs only; other tenants'
 * runs count them here.
 */
const platformOnly: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE payment_reconciliation_runs ADD COLUMN platform_only integer NOT NULL DEFAULT 0`,
    ])
  },
}

export const reconcileMigrations: NamedMigrations = {
  '0570_payments_reconciliation': runs,
  '0571_payments_reconciliation_platform_only': platformOnly,
}
