import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../../shared/db/migrate.js'

export const WEBHOOK_INBOX_CHANNEL = 'moneta_webhook_inbox'

/**
 * Verified gateway events, raw and normalised. The key is (tenant named by the event or
 * `_unrouted`, gateway, vendor event id): the tenant part is a pure function of the signed event,
 * so it dedupes exactly like a global (gateway, event id) key while keeping tenant_id first
 * (ADR 0500). Processed rows leave the pending queue index; dead rows sit in a small index of
 * their own for `moneta webhooks list --status dead` and replay.
 */
const inbox: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_webhook_inbox (
        tenant_id         text        NOT NULL,
        gateway           text        NOT NULL,
        event_id          text        NOT NULL,
        event_type        text        NOT NULL,
        vendor_type       text        NOT NULL,
        payment_ref       text,
        payment_id        text,
        event             jsonb       NOT NULL,
        raw_body          bytea       NOT NULL,
        headers           jsonb       NOT NULL,
        status            text        NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'processed', 'dead')),
        outcome           text        CHECK (outcome IN ('applied', 'duplicate', 'ignored')),
        applied_tenant_id text,
        attempts          integer     NOT NULL DEFAULT 0,
        next_attempt_at   timestamptz NOT NULL,
        last_error        text,
        received_at       timestamptz NOT NULL,
        processed_at      timestamptz,
        PRIMARY KEY (tenant_id, gateway, event_id)
      )`,
      `CREATE INDEX payment_webhook_inbox_due ON payment_webhook_inbox (next_attempt_at)
        WHERE status = 'pending'`,
      `CREATE INDEX payment_webhook_inbox_dead ON payment_webhook_inbox (gateway, event_id)
        WHERE status = 'dead'`,
      `CREATE FUNCTION payment_webhook_inbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${WEBHOOK_INBOX_CHANNEL}', '');
        RETURN NULL;
      END
      $$`,
      // Workers in other processes (`moneta worker`) wake on new rows; one notification per statement.
      `CREATE TRIGGER payment_webhook_inbox_notify AFTER INSERT ON payment_webhook_inbox
        FOR EACH STATEMENT EXECUTE FUNCTION payment_webhook_inbox_notify()`,
    ])
  },
}

/**
 * The INSERT trigger's NOTIFY made every receipt batch's commit take PostgreSQL's server-wide notify
 * lock and hold it across its WAL flush, so the API's batches in flight committed one after another
 * (and queued behind every outbox commit). The API now notifies after its INSERT committed, in a
 * statement of its own that writes nothing (webhook-inbox.service.ts), so the batches' flushes overlap.
 */
const notifyAfterCommit: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `DROP TRIGGER IF EXISTS payment_webhook_inbox_notify ON payment_webhook_inbox`,
      `DROP FUNCTION IF EXISTS payment_webhook_inbox_notify()`,
    ])
  },
}

export const webhookInboxMigrations: NamedMigrations = {
  '0540_payments_webhook_inbox': inbox,
  '0541_payments_webhook_inbox_notify_after_commit': notifyAfterCommit,
}
