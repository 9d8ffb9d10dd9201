import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // Amount and currency are written once, at creation; no code path updates them.
      `CREATE TABLE payments (
        tenant_id              text NOT NULL,
        payment_id             text NOT NULL,
        status                 text NOT NULL,
        amount                 bigint NOT NULL CHECK (amount > 0),
        currency               text NOT NULL,
        capture_method         text NOT NULL CHECK (capture_method IN ('automatic', 'manual')),
        payment_method         text NOT NULL,
        customer               text,
        description            text,
        metadata               jsonb NOT NULL DEFAULT '{}',
        gateway                text,
        gateway_ref            text,
        decline_code           text,
        next_action            jsonb,
        amount_authorized      bigint NOT NULL DEFAULT 0,
        amount_captured        bigint NOT NULL DEFAULT 0,
        amount_refunded        bigint NOT NULL DEFAULT 0,
        amount_refund_pending  bigint NOT NULL DEFAULT 0,
        amount_disputed        bigint NOT NULL DEFAULT 0,
        hold_txn_id            text,
        in_flight              text,
        card_brand             text,
        card_country           text,
        attempts               jsonb NOT NULL DEFAULT '[]',
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, payment_id),
        CHECK (amount_authorized <= amount AND amount_captured <= amount_authorized
               AND amount_refunded + amount_refund_pending <= amount_captured
               AND amount_refund_pending >= 0 AND amount_disputed >= 0)
      )`,
      `CREATE INDEX payments_by_status ON payments (tenant_id, status, payment_id)`,
      `CREATE INDEX payments_by_customer ON payments (tenant_id, customer, payment_id)`,
      // Webhook routing finds the tenant from the vendor's id (not unique across gateways' namespaces).
      `CREATE INDEX payments_by_gateway_ref ON payments (gateway, gateway_ref)`,
      // The sweeper's work list, across tenants.
      `CREATE INDEX payments_to_sweep ON payments (updated_at)
         WHERE status IN ('unknown', 'processing') OR in_flight IS NOT NULL`,
      `CREATE TABLE payment_refunds (
        tenant_id     text NOT NULL,
        refund_id     text NOT NULL,
        payment_id    text NOT NULL,
        amount        bigint NOT NULL CHECK (amount > 0),
        currency      text NOT NULL,
        status        text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        reason        text,
        gateway       text NOT NULL,
        gateway_ref   text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, refund_id)
      )`,
      `CREATE INDEX payment_refunds_by_payment ON payment_refunds (tenant_id, payment_id, refund_id)`,
      `CREATE UNIQUE INDEX payment_refunds_by_ref ON payment_refunds (tenant_id, gateway, gateway_ref)`,
      `CREATE TABLE payment_disputes (
        tenant_id     text NOT NULL,
        dispute_id    text NOT NULL,
        payment_id    text NOT NULL,
        gateway       text NOT NULL,
        gateway_ref   text NOT NULL,
        amount        bigint NOT NULL CHECK (amount > 0),
        currency      text NOT NULL,
        status        text NOT NULL CHECK (status IN ('opened', 'won', 'lost')),
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, dispute_id)
      )`,
      `CREATE UNIQUE INDEX payment_disputes_by_ref ON payment_disputes (tenant_id, gateway, gateway_ref)`,
      // One row per Idempotency-Key: the request's hash and, once done, the response to replay.
      `CREATE TABLE payment_idempotency (
        tenant_id     text NOT NULL,
        idem_key      text NOT NULL,
        operation     text NOT NULL,
        request_hash  text NOT NULL,
        response      jsonb,
        created_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, idem_key)
      )`,
      // What the books say about each gateway fact, for reconciliation (also in ledger metadata).
      `CREATE TABLE payment_ledger_facts (
        tenant_id      text NOT NULL,
        fact_id        text NOT NULL,
        payment_id     text,
        gateway        text NOT NULL,
        gateway_ref    text NOT NULL,
        kind           text NOT NULL,
        amount         bigint NOT NULL,
        currency       text NOT NULL,
        ledger_txn_id  text NOT NULL,
        at             timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, fact_id)
      )`,
      `CREATE INDEX payment_ledger_facts_by_gateway ON payment_ledger_facts (tenant_id, gateway, at)`,
      `CREATE TABLE payment_routing_rules (
        tenant_id   text NOT NULL,
        rule_id     text NOT NULL,
        priority    integer NOT NULL,
        match       jsonb NOT NULL,
        gateways    jsonb NOT NULL,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, rule_id)
      )`,
      `CREATE TABLE payment_payouts (
        tenant_id     text NOT NULL,
        payout_id     text NOT NULL,
        gateway       text NOT NULL,
        amount        bigint NOT NULL CHECK (amount > 0),
        currency      text NOT NULL,
        status        text NOT NULL,
        gateway_ref   text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, payout_id)
      )`,
    ])
  },
}

// A create that failed after its payment row was written keeps its key bound to that payment, so
// retrying with the same key confirms the same payment instead of making a second one.
const idempotencyResource: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE payment_idempotency ADD COLUMN resource_id text`])
  },
}

// The capture's fee, so a fee reported after the capture is booked once; and the database itself
// refuses to change a payment's amount or currency after creation.
const feeAndFixedAmount: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE payments ADD COLUMN amount_fee bigint NOT NULL DEFAULT 0`,
      `CREATE FUNCTION payments_fixed_terms() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.amount <> OLD.amount OR NEW.currency <> OLD.currency OR NEW.capture_method <> OLD.capture_method THEN
           RAISE EXCEPTION 'a payment''s amount, currency and capture method never change' USING ERRCODE = 'check_violation';
         END IF;
         RETURN NEW;
       END $$`,
      `CREATE TRIGGER payments_fixed_terms BEFORE UPDATE ON payments
         FOR EACH ROW EXECUTE FUNCTION payments_fixed_terms()`,
    ])
  },
}

// Refunds whose gateway call never came back (a crash, a lost connection) are found by the sweeper,
// which repeats the call under the same gateway idempotency key and books the answer.
const refundSweep: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE INDEX payment_refunds_to_sweep ON payment_refunds (updated_at)
         WHERE status = 'pending' AND gateway_ref IS NULL`,
    ])
  },
}

// Sorting a payments list by amount (GET /v1/payments?sort=amount): keyset pages on (amount, id) read
// one index range per page instead of sorting the tenant's payments. Status has payments_by_status.
const amountOrder: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`CREATE INDEX payments_by_amount ON payments (tenant_id, amount, payment_id)`])
  },
}

// What happened to each payment, kept as long as the payment: the outbox holds its events for 7 days
// only, and the console's timeline must still show the state changes of a payment older than that.
// One row per payment event, written with the event in the transition's transaction.
const transitions: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_transitions (
        tenant_id  text NOT NULL,
        payment_id text NOT NULL,
        seq        bigint GENERATED ALWAYS AS IDENTITY,
        topic      text NOT NULL,
        details    jsonb NOT NULL,
        at         timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, payment_id, seq)
      )`,
    ])
  },
}

// Money a gateway took for one of our payments that the payment is not booked at: a request that
// reached a gateway late, after the payment went to another one (ADR 0506). Recorded once per charge
// by the webhook that tells of it; the sweeper reverses the pending ones at that gateway.
const strayCharges: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_stray_charges (
        tenant_id     text NOT NULL,
        stray_id      text NOT NULL,
        payment_id    text NOT NULL,
        gateway       text NOT NULL,
        gateway_ref   text NOT NULL,
        amount        bigint NOT NULL CHECK (amount > 0),
        currency      text NOT NULL,
        status        text NOT NULL CHECK (status IN ('pending', 'reversed', 'failed')),
        reversal      text CHECK (reversal IN ('canceled', 'refunded', 'none')),
        reversal_ref  text,
        attempts      integer NOT NULL DEFAULT 0,
        last_error    text,
        created_at    timestamptz NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, stray_id),
        UNIQUE (tenant_id, gateway, gateway_ref)
      )`,
      `CREATE INDEX payment_stray_charges_pending ON payment_stray_charges (updated_at) WHERE status = 'pending'`,
      // Reconciliation and webhook routing find a charge's tenant from the vendor's id, as for payments.
      `CREATE INDEX payment_stray_charges_by_ref ON payment_stray_charges (gateway, gateway_ref)`,
    ])
  },
}

// Payouts whose gateway call was never answered (a timeout, a crash) are found by the sweeper, which
// asks again under the payout's own key and books the answer once.
const payoutSweep: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE INDEX payment_payouts_to_sweep ON payment_payouts (updated_at) WHERE status = 'pending'`,
    ])
  },
}

// The sweepers' work list for stray charges: a sweeper leases a charge (attempt_after moves past the
// lease), so several worker processes never reverse the same charge at once.
const strayChargeLease: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE payment_stray_charges ADD COLUMN attempt_after timestamptz NOT NULL DEFAULT 'epoch'`,
      `DROP INDEX payment_stray_charges_pending`,
      `CREATE INDEX payment_stray_charges_due ON payment_stray_charges (attempt_after) WHERE status = 'pending'`,
    ])
  },
}

// Gateways a payment left with a request whose fate was unknown (a "no record" answer, a failover):
// the sweeper asks each again later whether the request landed after all, since a webhook is not
// guaranteed to tell (ADR 0507). The row is the check's schedule and, once closed, what it found.
const lateChecks: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE payment_late_checks (
        tenant_id   text NOT NULL,
        payment_id  text NOT NULL,
        gateway     text NOT NULL,
        reason      text NOT NULL CHECK (reason IN ('no_record', 'failover')),
        checks      integer NOT NULL DEFAULT 0,
        due_at      timestamptz NOT NULL,
        outcome     text CHECK (outcome IN ('no_charge', 'charge_known', 'charge_applied')),
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, payment_id, gateway)
      )`,
      `CREATE INDEX payment_late_checks_due ON payment_late_checks (due_at) WHERE outcome IS NULL`,
    ])
  },
}

// A stray charge whose reversal failed is reversed by an operator at the gateway and then marked so,
// with who did it and why (POST /v1/stray-charges/:id/resolve): the failed list is the work still open.
const strayChargeResolution: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE payment_stray_charges ADD COLUMN resolved_by text`,
      `ALTER TABLE payment_stray_charges ADD COLUMN note text`,
    ])
  },
}

// The fee a gateway kept on a refunded stray charge (booked as an expense with the refund): from the
// gateway's refund when the sweeper refunds, from the operator when the refund was made by hand.
const strayChargeFee: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE payment_stray_charges ADD COLUMN reversal_fee bigint`])
  },
}

export const paymentsMigrations: NamedMigrations = {
  '0500_payments_core': core,
  '0501_payments_idempotency_resource': idempotencyResource,
  '0502_payments_fee_and_fixed_terms': feeAndFixedAmount,
  '0503_payments_refund_sweep': refundSweep,
  '0504_payments_amount_order': amountOrder,
  '0505_payments_transitions': transitions,
  '0506_payments_stray_charges': strayCharges,
  '0507_payments_payout_sweep': payoutSweep,
  '0508_payments_stray_charge_lease': strayChargeLease,
  '0509_payments_late_checks': lateChecks,
  '0510_payments_stray_charge_resolution': strayChargeResolution,
  '0511_payments_stray_charge_fee': strayChargeFee,
}
