import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const authCore: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE auth_operators (
        tenant_id       text NOT NULL REFERENCES tenants (tenant_id),
        operator_id     text NOT NULL,
        email           text NOT NULL,
        password_hash   text NOT NULL,
        role            text NOT NULL CHECK (role IN ('admin', 'operator', 'analyst', 'auditor', 'read_only')),
        -- TOTP secrets, encrypted with the field cipher (envelope AES-256-GCM, bound to the row).
        mfa_secret_ct   bytea,
        mfa_pending_ct  bytea,
        mfa_enrolled_at timestamptz,
        -- Highest RFC 6238 step accepted: a code for this step or an earlier one is a replay.
        mfa_last_step   bigint,
        failed_count    integer NOT NULL DEFAULT 0,
        last_failed_at  timestamptz,
        locked_until    timestamptz,
        lockout_count   integer NOT NULL DEFAULT 0,
        created_at      timestamptz NOT NULL,
        disabled_at     timestamptz,
        PRIMARY KEY (tenant_id, operator_id)
      )`,
      // Operators sign in with an email alone, before any tenant is known, so the address is unique
      // across tenants. Under Citus this table would be a reference table (like tenants), not distributed.
      `CREATE UNIQUE INDEX auth_operators_by_email ON auth_operators (email)`,
      `CREATE TABLE auth_recovery_codes (
        tenant_id   text NOT NULL,
        operator_id text NOT NULL,
        code_hash   bytea NOT NULL,
        used_at     timestamptz,
        PRIMARY KEY (tenant_id, operator_id, code_hash),
        FOREIGN KEY (tenant_id, operator_id) REFERENCES auth_operators (tenant_id, operator_id) ON DELETE CASCADE
      )`,
      `CREATE TABLE auth_sessions (
        tenant_id    text NOT NULL,
        session_id   text NOT NULL,
        operator_id  text NOT NULL,
        token_hash   bytea NOT NULL,
        -- Password accepted but the role needs MFA that is not enrolled yet: only enrolment is allowed.
        mfa_pending  boolean NOT NULL,
        origin       text NOT NULL,
        created_at   timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        PRIMARY KEY (tenant_id, session_id),
        FOREIGN KEY (tenant_id, operator_id) REFERENCES auth_operators (tenant_id, operator_id) ON DELETE CASCADE
      )`,
      // Looked up by token hash before the tenant is known (same reasoning as api_keys_by_hash).
      `CREATE INDEX auth_sessions_by_hash ON auth_sessions (token_hash)`,
      // Failures per source address, shared by every API process. Platform-wide (an address has no tenant).
      `CREATE TABLE auth_address_failures (
        address        text PRIMARY KEY,
        failed_count   integer NOT NULL DEFAULT 0,
        last_failed_at timestamptz,
        locked_until   timestamptz,
        lockout_count  integer NOT NULL DEFAULT 0
      )`,
    ])
  },
}

/**
 * API keys stay in platform's api_keys table (platform.authenticate keeps working); auth adds what key
 * management needs (ADR 0005: a later range may alter an earlier module's table): a name, an optional
 * role, and an expiry that rotation sets on the old key so both work during the overlap.
 */
const apiKeyManagement: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE api_keys ADD COLUMN name text`,
      `ALTER TABLE api_keys ADD COLUMN role text`,
      `ALTER TABLE api_keys ADD COLUMN expires_at timestamptz`,
      `ALTER TABLE api_keys ADD COLUMN replaced_by text`,
      `ALTER TABLE api_keys ADD COLUMN created_by text`,
      // Keys of the default tenant holding * before this release were its bootstrap keys: they keep the
      // right to create tenants, which * alone no longer implies.
      `UPDATE api_keys SET scopes = array_append(scopes, 'platform:admin')
       WHERE tenant_id = 'ten_default' AND '*' = ANY (scopes)`,
    ])
  },
}

/**
 * Emails unique per tenant, not across tenants: a unique index across tenants let one tenant's admin
 * learn whether an address is an operator of another tenant (OPERATOR_EXISTS). Disabled operators keep
 * their row (and audit trail) but free their address. Sign-in names the tenant when an address is in
 * several (operators.ts).
 */
const emailPerTenant: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `DROP INDEX auth_operators_by_email`,
      `CREATE UNIQUE INDEX auth_operators_by_tenant_email ON auth_operators (tenant_id, email)
       WHERE disabled_at IS NULL`,
      `CREATE INDEX auth_operators_by_email ON auth_operators (email)`,
    ])
  },
}

export const authMigrations: NamedMigrations = {
  '0600_auth_operators': authCore,
  '0601_auth_api_key_management': apiKeyManagement,
  '0602_auth_operator_email_per_tenant': emailPerTenant,
}
