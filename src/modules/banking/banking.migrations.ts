import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // A link token ties the provider's Link session to one customer (and, in update mode, one item).
      `CREATE TABLE bank_link_tokens (
        tenant_id     text NOT NULL,
        link_token    text NOT NULL,
        provider      text NOT NULL,
        customer_id   text NOT NULL,
        customer_name text NOT NULL,
        item_id       text,
        created_at    timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        used_at       timestamptz,
        PRIMARY KEY (tenant_id, link_token)
      )`,
      `CREATE TABLE bank_items (
        tenant_id         text NOT NULL,
        item_id           text NOT NULL,
        provider          text NOT NULL,
        provider_item_id  text NOT NULL,
        customer_id       text NOT NULL,
        customer_name     text NOT NULL,
        access_token_ct   bytea NOT NULL,
        institution_id    text NOT NULL,
        institution_name  text NOT NULL,
        status            text NOT NULL CHECK (status IN ('active', 'login_required', 'removed')),
        error_code        text,
        sync_cursor       text,
        sync_lease_until  timestamptz,
        last_synced_at    timestamptz,
        created_at        timestamptz NOT NULL,
        removed_at        timestamptz,
        PRIMARY KEY (tenant_id, item_id)
      )`,
      // Webhooks name the provider's item id and carry no tenant: this finds the item (not unique
      // across tenants by design; the lookup returns every match).
      `CREATE INDEX bank_items_by_provider_item ON bank_items (provider, provider_item_id)`,
      `CREATE INDEX bank_items_to_poll ON bank_items (last_synced_at) WHERE status = 'active'`,
      `CREATE TABLE bank_accounts (
        tenant_id           text NOT NULL,
        account_id          text NOT NULL,
        item_id             text NOT NULL,
        provider_account_id text NOT NULL,
        customer_id         text NOT NULL,
        name                text NOT NULL,
        type                text NOT NULL,
        subtype             text,
        currency            text NOT NULL,
        status              text NOT NULL CHECK (status IN ('open', 'closed')),
        verification        text NOT NULL CHECK (verification IN ('verified', 'pending', 'failed', 'revoked')),
        institution_id      text NOT NULL,
        institution_name    text NOT NULL,
        routing_number      text,
        account_number_ct   bytea,
        mask                text,
        owner_names         jsonb NOT NULL,
        created_at          timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, account_id)
      )`,
      `CREATE UNIQUE INDEX bank_accounts_provider_id ON bank_accounts (tenant_id, item_id, provider_account_id)`,
      // Synced transactions, keyed by the provider's id so re-syncs upsert instead of duplicating.
      // sync_run: the run that last wrote the row (restarted runs and full refreshes use it).
      `CREATE TABLE bank_transactions (
        tenant_id               text NOT NULL,
        item_id                 text NOT NULL,
        provider_transaction_id text NOT NULL,
        provider_account_id     text NOT NULL,
        amount                  bigint NOT NULL,
        currency                text NOT NULL,
        date                    date NOT NULL,
        name                    text NOT NULL,
        merchant_name           text,
        pending                 boolean NOT NULL,
        category                text,
        created_run             text NOT NULL,
        sync_run                text NOT NULL,
        updated_at              timestamptz NOT NULL,
        removed_at              timestamptz,
        PRIMARY KEY (tenant_id, item_id, provider_transaction_id)
      )`,
      `CREATE INDEX bank_transactions_by_account ON bank_transactions
        (tenant_id, item_id, provider_account_id, date DESC, provider_transaction_id)`,
      `CREATE TABLE bank_transfers (
        tenant_id               text NOT NULL,
        transfer_id             text NOT NULL,
        account_id              text NOT NULL,
        direction               text NOT NULL CHECK (direction IN ('debit', 'credit')),
        amount                  bigint NOT NULL CHECK (amount > 0),
        currency                text NOT NULL,
        status                  text NOT NULL CHECK (status IN ('pending', 'settled', 'returned', 'failed')),
        ledger_account_id       text NOT NULL,
        ledger_transaction_id   text NOT NULL,
        reversal_transaction_id text,
        rail                    text NOT NULL,
        rail_transfer_id        text,
        return_code             text,
        return_reason           text,
        description             text,
        idempotency_key         text,
        request_hash            text NOT NULL,
        checks                  jsonb NOT NULL,
        created_at              timestamptz NOT NULL,
        settled_at              timestamptz,
        returned_at             timestamptz,
        PRIMARY KEY (tenant_id, transfer_id)
      )`,
      `CREATE UNIQUE INDEX bank_transfers_idempotency ON bank_transfers (tenant_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL`,
      `CREATE INDEX bank_transfers_by_account ON bank_transfers (tenant_id, account_id, created_at)`,
      // Webhooks received, once each: a duplicate delivery is acknowledged and not acted on again.
      `CREATE TABLE bank_webhook_events (
        tenant_id    text NOT NULL,
        provider     text NOT NULL,
        dedup_key    text NOT NULL,
        item_id      text,
        action       text NOT NULL,
        received_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, provider, dedup_key)
      )`,
    ])
  },
}

export const bankingMigrations: NamedMigrations = { '0700_banking_core': core }
