import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const platformCore: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE tenants (
        tenant_id  text PRIMARY KEY,
        name       text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE api_keys (
        tenant_id  text NOT NULL REFERENCES tenants (tenant_id),
        key_id     text NOT NULL,
        key_hash   bytea NOT NULL,
        prefix     text NOT NULL,
        scopes     text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        PRIMARY KEY (tenant_id, key_id)
      )`,
      // Authentication looks a key up by its hash before the tenant is known. Not unique on purpose:
      // unique indexes lead with tenant_id (Citus); a SHA-256 collision is not a practical concern.
      `CREATE INDEX api_keys_by_hash ON api_keys (key_hash)`,
    ])
  },
}

export const platformMigrations: NamedMigrations = { '0001_platform_core': platformCore }
