import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../../shared/db/migrate.js'

/**
 * Commands accepted with `?async=true` (issue #18 item 5): the request as accepted, keyed by the
 * tenant's Idempotency-Key, and what became of it. The row and the outbox message that carries its
 * id to the `payments.command.accepted.v1` consumers are written in one transaction, so an accepted
 * command is never lost and never queued twice.
 */
const commands: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_commands (
        tenant_id     text        NOT NULL,
        command_id    text        NOT NULL,
        idem_key      text        NOT NULL,
        kind          text        NOT NULL CHECK (kind IN ('payment.create', 'ledger.bulk')),
        request       jsonb       NOT NULL,
        request_hash  text        NOT NULL,
        status        text        NOT NULL DEFAULT 'accepted'
                      CHECK (status IN ('accepted', 'succeeded', 'failed')),
        resource_id   text,
        result        jsonb,
        error         jsonb,
        accepted_at   timestamptz NOT NULL,
        completed_at  timestamptz,
        PRIMARY KEY (tenant_id, command_id)
      )`,
      `CREATE UNIQUE INDEX payment_commands_by_key ON payment_commands (tenant_id, idem_key)`,
    ])
  },
}

/**
 * Who submitted the command (the request's principal and address), so the transitions a consumer
 * applies later name that principal in the audit trail, as the synchronous route's do, instead of the
 * gateway. Null on rows accepted before this column existed.
 */
const submittedBy: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE payment_commands ADD COLUMN submitted_by jsonb`])
  },
}

export const paymentCommandsMigrations: NamedMigrations = {
  '0545_payments_commands': commands,
  '0546_payments_commands_submitted_by': submittedBy,
}
