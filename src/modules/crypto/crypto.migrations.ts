import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * The keyring is installation-wide: its rows use the reserved tenant id '_system' (leading the
 * primary key like every table; a Citus reference table). Several keyrings can share one database,
 * one per key-encryption key (kek_id), so a process only ever loads keys its master key unwraps.
 */
const cryptoKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE crypto_keys (
        tenant_id      text NOT NULL DEFAULT '_system',
        key_id         integer NOT NULL CHECK (key_id > 0),
        purpose        text NOT NULL CHECK (purpose IN ('field', 'system')),
        status         text NOT NULL CHECK (status IN ('primary', 'active', 'retired')),
        kek_id         text NOT NULL,
        wrapped        bytea NOT NULL,
        usage_reserved bigint NOT NULL DEFAULT 0,
        usage_limit    bigint NOT NULL,
        created_at     timestamptz NOT NULL,
        rotated_at     timestamptz,
        PRIMARY KEY (tenant_id, key_id)
      )`,
      `CREATE UNIQUE INDEX crypto_keys_one_primary ON crypto_keys (tenant_id, kek_id, purpose) WHERE status = 'primary'`,
      `CREATE UNIQUE INDEX crypto_keys_one_system ON crypto_keys (tenant_id, kek_id) WHERE purpose = 'system'`,
      `CREATE TABLE crypto_reencrypt_progress (
        tenant_id     text NOT NULL DEFAULT '_system',
        job           text NOT NULL,
        target_key_id integer NOT NULL,
        cursor_tenant text,
        cursor_row    text,
        passes        integer NOT NULL DEFAULT 0,
        rows_done     bigint NOT NULL DEFAULT 0,
        started_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        finished_at   timestamptz,
        PRIMARY KEY (tenant_id, job)
      )`,
    ])
  },
}

const vaultCards: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE vault_cards (
        tenant_id  text NOT NULL,
        token      text NOT NULL,
        pan_ct     bytea NOT NULL,
        pan_bidx   bytea NOT NULL,
        bin        text NOT NULL,
        last4      text NOT NULL,
        brand      text NOT NULL,
        pan_length smallint NOT NULL,
        exp_month  smallint,
        exp_year   smallint,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, token)
      )`,
      // The same card in the same tenant gets the same token (blind index, 128 bits).
      `CREATE UNIQUE INDEX vault_cards_by_pan ON vault_cards (tenant_id, pan_bidx)`,
    ])
  },
}

export const cryptoMigrations: NamedMigrations = {
  '0200_crypto_keys': cryptoKeys,
  '0201_vault_cards': vaultCards,
}
