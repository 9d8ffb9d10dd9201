import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // Secrets are field-encrypted (crypto module), bound to (tenant, table, column, endpoint_id).
      `CREATE TABLE webhook_endpoints (
        tenant_id                  text NOT NULL,
        endpoint_id                text NOT NULL,
        url                        text NOT NULL,
        description                text NOT NULL DEFAULT '',
        event_types                text[] NOT NULL,
        enabled                    boolean NOT NULL DEFAULT true,
        disabled_reason            text,
        disabled_at                timestamptz,
        failing_since              timestamptz,
        last_success_at            timestamptz,
        secret_ct                  bytea NOT NULL,
        secret_version             integer NOT NULL DEFAULT 1,
        previous_secret_ct         bytea,
        previous_secret_expires_at timestamptz,
        created_at                 timestamptz NOT NULL,
        updated_at                 timestamptz NOT NULL,
        deleted_at                 timestamptz,
        PRIMARY KEY (tenant_id, endpoint_id)
      )`,
      `CREATE INDEX webhook_endpoints_live ON webhook_endpoints (tenant_id) WHERE enabled AND deleted_at IS NULL`,
      // One row per (endpoint, event) — plus manual replays, which repeat an event on purpose.
      `CREATE TABLE webhook_deliveries (
        tenant_id          text NOT NULL,
        delivery_id        text NOT NULL,
        endpoint_id        text NOT NULL,
        event_id           text NOT NULL,
        event_type         text NOT NULL,
        body               text NOT NULL,
        status             text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
        attempts           integer NOT NULL DEFAULT 0,
        next_attempt_at    timestamptz,
        created_at         timestamptz NOT NULL,
        delivered_at       timestamptz,
        replay_of          text,
        is_test            boolean NOT NULL DEFAULT false,
        last_attempt_at    timestamptz,
        last_status_code   integer,
        last_latency_ms    integer,
        last_error         text,
        last_response_body text,
        PRIMARY KEY (tenant_id, delivery_id)
      )`,
      `CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (tenant_id, endpoint_id, event_id)
        WHERE replay_of IS NULL`,
      `CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, endpoint_id, delivery_id)`,
      // The worker's queue: only pending rows, by due time, across tenants.
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
      `CREATE TABLE webhook_attempts (
        tenant_id     text NOT NULL,
        delivery_id   text NOT NULL,
        attempt       integer NOT NULL,
        endpoint_id   text NOT NULL,
        attempted_at  timestamptz NOT NULL,
        status_code   integer,
        latency_ms    integer NOT NULL,
        error         text,
        response_body text,
        PRIMARY KEY (tenant_id, delivery_id, attempt)
      )`,
    ])
  },
}

// A deleted endpoint keeps its row (the delivery log refers to it) but not its secrets: NULL, which
// `moneta keys reencrypt` skips (an empty ciphertext would not decrypt).
const deletedSecrets: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE webhook_endpoints ALTER COLUMN secret_ct DROP NOT NULL`])
  },
}

// The deliveries of one object's events (a payment's, for the console's timeline) without the event ids,
// which the outbox forgets after its retention: the event's partition key, kept with each delivery.
const eventKey: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE webhook_deliveries ADD COLUMN event_key text`,
      `CREATE INDEX webhook_deliveries_by_event_key ON webhook_deliveries (tenant_id, event_key)
        WHERE event_key IS NOT NULL`,
    ])
  },
}

export const webhooksMigrations: NamedMigrations = {
  '0800_webhooks_core': core,
  '0801_webhooks_deleted_secrets': deletedSecrets,
  '0802_webhooks_delivery_event_key': eventKey,
}
