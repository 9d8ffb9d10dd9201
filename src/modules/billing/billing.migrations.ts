import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * Billing tables (range 1300–1399, ADR 0005). Every key leads with tenant_id. The scheduler's
 * exactly-once guarantees are unique keys, never locks that can lapse (ADR 1300):
 * - an invoice for a subscription period: UNIQUE (tenant_id, period_key);
 * - a charge attempt of an invoice: PRIMARY KEY (tenant_id, invoice_id, attempt).
 * Only the process whose INSERT created the row goes on to act on it.
 */
const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE billing_products (
        tenant_id       text NOT NULL,
        product_id      text NOT NULL,
        name            text NOT NULL,
        active          boolean NOT NULL DEFAULT true,
        metadata        jsonb NOT NULL DEFAULT '{}',
        idempotency_key text,
        request_hash    text,
        created_at      timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, product_id)
      )`,
      `CREATE UNIQUE INDEX billing_products_idem ON billing_products (tenant_id, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
      // model: {"kind":"fixed"|"per_unit"|"tiered", …} amounts as strings (bigint minor units).
      `CREATE TABLE billing_prices (
        tenant_id       text NOT NULL,
        price_id        text NOT NULL,
        product_id      text NOT NULL,
        currency        text NOT NULL,
        model           jsonb NOT NULL,
        interval_unit   text NOT NULL CHECK (interval_unit IN ('day', 'week', 'month', 'year')),
        interval_count  integer NOT NULL CHECK (interval_count BETWEEN 1 AND 1000),
        trial_days      integer NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
        tax_rate_bps    integer NOT NULL DEFAULT 0 CHECK (tax_rate_bps BETWEEN 0 AND 10000),
        dunning_days    integer[] NOT NULL,
        dunning_final   text NOT NULL CHECK (dunning_final IN ('unpaid', 'canceled')),
        active          boolean NOT NULL DEFAULT true,
        idempotency_key text,
        request_hash    text,
        created_at      timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, price_id),
        FOREIGN KEY (tenant_id, product_id) REFERENCES billing_products (tenant_id, product_id)
      )`,
      `CREATE UNIQUE INDEX billing_prices_idem ON billing_prices (tenant_id, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
      `CREATE TABLE billing_payment_methods (
        tenant_id         text NOT NULL,
        payment_method_id text NOT NULL,
        customer_id       text NOT NULL,
        gateway           text NOT NULL,
        -- Gateway token and customer reference, and display data (brand, last four, expiry):
        -- field-encrypted, bound to tenant/table/column/payment_method_id.
        token_ct          bytea NOT NULL,
        display_ct        bytea NOT NULL,
        kind              text NOT NULL CHECK (kind IN ('card', 'paypal')),
        status            text NOT NULL CHECK (status IN ('active', 'expired', 'detached')),
        is_default        boolean NOT NULL DEFAULT false,
        idempotency_key   text,
        request_hash      text,
        created_at        timestamptz NOT NULL,
        updated_at        timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, payment_method_id)
      )`,
      `CREATE INDEX billing_payment_methods_customer ON billing_payment_methods (tenant_id, customer_id)`,
      `CREATE UNIQUE INDEX billing_payment_methods_idem ON billing_payment_methods (tenant_id, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
      `CREATE TABLE billing_subscriptions (
        tenant_id            text NOT NULL,
        subscription_id      text NOT NULL,
        customer_id          text NOT NULL,
        price_id             text NOT NULL,
        currency             text NOT NULL,
        quantity             bigint NOT NULL CHECK (quantity >= 1),
        status               text NOT NULL
          CHECK (status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled')),
        payment_method_id    text,
        anchor               timestamptz NOT NULL,
        period_index         integer NOT NULL,
        current_period_start timestamptz NOT NULL,
        current_period_end   timestamptz NOT NULL,
        trial_end            timestamptz,
        cancel_at_period_end boolean NOT NULL DEFAULT false,
        canceled_at          timestamptz,
        -- When the scheduler must next act (the period end), NULL once nothing is left to do.
        next_run_at          timestamptz,
        version              integer NOT NULL DEFAULT 1,
        idempotency_key      text,
        request_hash         text,
        created_at           timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, subscription_id),
        FOREIGN KEY (tenant_id, price_id) REFERENCES billing_prices (tenant_id, price_id)
      )`,
      `CREATE INDEX billing_subscriptions_due ON billing_subscriptions (tenant_id, next_run_at)
         WHERE next_run_at IS NOT NULL`,
      `CREATE INDEX billing_subscriptions_customer ON billing_subscriptions (tenant_id, customer_id)`,
      `CREATE UNIQUE INDEX billing_subscriptions_idem ON billing_subscriptions (tenant_id, idempotency_key)
         WHERE idempotency_key IS NOT NULL`,
      `CREATE TABLE billing_invoices (
        tenant_id        text NOT NULL,
        invoice_id       text NOT NULL,
        subscription_id  text,
        customer_id      text NOT NULL,
        -- subscription + period (or + change) the invoice is for: the exactly-once key.
        period_key       text NOT NULL,
        reason           text NOT NULL
          CHECK (reason IN ('subscription_create', 'subscription_cycle', 'subscription_update')),
        currency         text NOT NULL,
        subtotal         bigint NOT NULL,
        tax              bigint NOT NULL,
        total            bigint NOT NULL,
        credit_applied   bigint NOT NULL DEFAULT 0,
        amount_due       bigint NOT NULL,
        amount_paid      bigint NOT NULL DEFAULT 0,
        amount_credited  bigint NOT NULL DEFAULT 0,
        status           text NOT NULL CHECK (status IN ('open', 'paid', 'void', 'uncollectible')),
        attempt_count    integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz,
        -- When dunning gives up (set at the first failure: the last retry day of the price's schedule).
        collection_deadline timestamptz,
        period_start     timestamptz NOT NULL,
        period_end       timestamptz NOT NULL,
        created_at       timestamptz NOT NULL,
        paid_at          timestamptz,
        PRIMARY KEY (tenant_id, invoice_id)
      )`,
      `CREATE UNIQUE INDEX billing_invoices_period ON billing_invoices (tenant_id, period_key)`,
      `CREATE INDEX billing_invoices_retry ON billing_invoices (tenant_id, next_attempt_at)
         WHERE next_attempt_at IS NOT NULL`,
      `CREATE INDEX billing_invoices_deadline ON billing_invoices (tenant_id, collection_deadline)
         WHERE status = 'open' AND collection_deadline IS NOT NULL`,
      `CREATE INDEX billing_invoices_subscription ON billing_invoices (tenant_id, subscription_id)`,
      // amount is net of tax; recognised moves from deferred to revenue over [period_start, recognize_end).
      `CREATE TABLE billing_invoice_lines (
        tenant_id      text NOT NULL,
        invoice_id     text NOT NULL,
        line_no        integer NOT NULL,
        description    text NOT NULL,
        price_id       text,
        quantity       bigint NOT NULL,
        amount         bigint NOT NULL CHECK (amount >= 0),
        tax            bigint NOT NULL CHECK (tax >= 0),
        credited       bigint NOT NULL DEFAULT 0,
        recognized     bigint NOT NULL DEFAULT 0,
        period_start   timestamptz NOT NULL,
        recognize_end  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, invoice_id, line_no),
        CHECK (recognized + credited <= amount)
      )`,
      `CREATE INDEX billing_lines_open ON billing_invoice_lines (tenant_id, period_start)
         WHERE recognized + credited < amount`,
      `CREATE TABLE billing_credit_notes (
        tenant_id      text NOT NULL,
        credit_note_id text NOT NULL,
        invoice_id     text NOT NULL,
        line_no        integer NOT NULL,
        amount         bigint NOT NULL CHECK (amount > 0),
        tax            bigint NOT NULL CHECK (tax >= 0),
        reason         text NOT NULL,
        note_key       text NOT NULL,
        created_at     timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, credit_note_id)
      )`,
      `CREATE UNIQUE INDEX billing_credit_notes_key ON billing_credit_notes (tenant_id, note_key)`,
      // Credit a customer holds (credit notes not yet applied), per currency; mirrors ledger bill.credit.
      `CREATE TABLE billing_customer_credit (
        tenant_id   text NOT NULL,
        customer_id text NOT NULL,
        currency    text NOT NULL,
        balance     bigint NOT NULL CHECK (balance >= 0),
        PRIMARY KEY (tenant_id, customer_id, currency)
      )`,
      `CREATE TABLE billing_payments (
        tenant_id         text NOT NULL,
        invoice_id        text NOT NULL,
        attempt           integer NOT NULL,
        payment_id        text NOT NULL,
        amount            bigint NOT NULL,
        currency          text NOT NULL,
        payment_method_id text,
        gateway           text,
        status            text NOT NULL
          CHECK (status IN ('pending', 'succeeded', 'failed', 'requires_action', 'refunded')),
        gateway_ref       text,
        decline_code      text,
        retryable         boolean,
        created_at        timestamptz NOT NULL,
        completed_at      timestamptz,
        PRIMARY KEY (tenant_id, invoice_id, attempt)
      )`,
      `CREATE UNIQUE INDEX billing_payments_id ON billing_payments (tenant_id, payment_id)`,
      `CREATE INDEX billing_payments_pending ON billing_payments (tenant_id, created_at) WHERE status = 'pending'`,
      // A tenant's test clock (Stripe-style): once set, billing reads time from here, and only moves it forward.
      `CREATE TABLE billing_test_clocks (
        tenant_id  text PRIMARY KEY,
        now        timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`,
    ])
  },
}

/**
 * When (wall clock) a process claimed a pending attempt: a pending row older than the resend delay
 * belongs to a process that died between its claim and its record, and the next run resends it
 * under the same idempotency key (resend.ts).
 */
const paymentClaims: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE billing_payments ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now()`,
      `CREATE INDEX billing_payments_claims ON billing_payments (tenant_id, claimed_at) WHERE status = 'pending'`,
    ])
  },
}

/**
 * Card-updater webhooks name the gateway's token, not our tenant or method: a keyed hash of
 * `gateway:token` finds the method without storing the token in clear (card-updates.ts). The index
 * is not tenant-led on purpose: the lookup is how the tenant is found. Methods saved before this
 * migration have no hash and are not found by card-updater events until saved again.
 */
const vendorRefIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE billing_payment_methods ADD COLUMN vendor_ref_ix bytea`,
      `CREATE INDEX billing_payment_methods_vendor_ref ON billing_payment_methods (gateway, vendor_ref_ix)
         WHERE vendor_ref_ix IS NOT NULL`,
    ])
  },
}

/**
 * The scheduler's claim (renew.ts) orders due rows by (next_run_at, subscription_id) and takes a
 * batch: with only (tenant_id, next_run_at) indexed, PostgreSQL read and sorted every due row for each
 * batch (EXPLAIN in the billing bench: 100,000 due renewals at one moment, a top-N sort of all that
 * remain per batch of 1,000). With the id in the index the batch is read in order and stops at LIMIT.
 */
const dueOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE INDEX billing_subscriptions_due_order ON billing_subscriptions (tenant_id, next_run_at, subscription_id)
         WHERE next_run_at IS NOT NULL`,
      `DROP INDEX billing_subscriptions_due`,
    ])
  },
}

export const billingMigrations: NamedMigrations = {
  '1300_billing_core': core,
  '1301_billing_payment_claims': paymentClaims,
  '1302_billing_method_vendor_ref': vendorRefIndex,
  '1303_billing_subscriptions_due_order': dueOrder,
}
