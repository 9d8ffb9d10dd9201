import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      // Versioned rule sets: draft → shadow → active (→ retired). One active set per tenant.
      `CREATE TABLE monitoring_rule_sets (
        tenant_id    text NOT NULL,
        version      integer NOT NULL,
        status       text NOT NULL CHECK (status IN ('draft', 'shadow', 'active', 'retired')),
        definition   jsonb NOT NULL,
        note         text,
        created_at   timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        PRIMARY KEY (tenant_id, version)
      )`,
      `CREATE UNIQUE INDEX monitoring_rule_sets_one_active ON monitoring_rule_sets (tenant_id) WHERE status = 'active'`,
      // Lists (high-risk countries, watchlists) as versioned data: every save is a new version.
      `CREATE TABLE monitoring_lists (
        tenant_id  text NOT NULL,
        name       text NOT NULL,
        version    integer NOT NULL,
        items      jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, name, version)
      )`,
      // KYC facts the rules read as src_party / dst_party.
      `CREATE TABLE monitoring_parties (
        tenant_id  text NOT NULL,
        party_id   text NOT NULL,
        segment    text NOT NULL,
        country    text NOT NULL,
        risk       text NOT NULL,
        opened_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, party_id)
      )`,
      // Every monitored transaction: the history features are rebuilt from and backtests replay.
      `CREATE TABLE monitoring_transactions (
        tenant_id    text NOT NULL,
        txn_id       text NOT NULL,
        at           timestamptz NOT NULL,
        amount       bigint NOT NULL CHECK (amount > 0),
        currency     text NOT NULL,
        kind         text NOT NULL,
        src          text NOT NULL,
        dst          text NOT NULL,
        src_country  text,
        dst_country  text,
        src_customer text,
        dst_customer text,
        device       text,
        card         text,
        outcome      text,
        score        double precision,
        PRIMARY KEY (tenant_id, txn_id)
      )`,
      `CREATE INDEX monitoring_transactions_by_time ON monitoring_transactions (tenant_id, at)`,
      // Alerts: one per rule, subject and dedup window (dedup_key); repeats increment hits.
      `CREATE TABLE monitoring_alerts (
        tenant_id        text NOT NULL,
        alert_id         text NOT NULL,
        dedup_key        text NOT NULL,
        rule_set_version integer NOT NULL,
        rule_id          text NOT NULL,
        typology         text,
        subject          text NOT NULL,
        outcome          text NOT NULL,
        score            double precision NOT NULL,
        reason           text NOT NULL,
        txn_id           text NOT NULL,
        at               timestamptz NOT NULL,
        hits             integer NOT NULL DEFAULT 1,
        status           text NOT NULL DEFAULT 'open',
        context          jsonb NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, alert_id)
      )`,
      `CREATE UNIQUE INDEX monitoring_alerts_dedup ON monitoring_alerts (tenant_id, dedup_key)`,
      `CREATE INDEX monitoring_alerts_by_time ON monitoring_alerts (tenant_id, at)`,
      // Labelled cases (planted by the generator or confirmed by investigators), for backtests.
      `CREATE TABLE monitoring_labels (
        tenant_id text NOT NULL,
        case_id   text NOT NULL,
        typology  text NOT NULL,
        members   jsonb NOT NULL,
        primary_members jsonb NOT NULL,
        start_at  timestamptz NOT NULL,
        end_at    timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, case_id)
      )`,
    ])
  },
}

const address: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE monitoring_transactions ADD COLUMN address text`])
  },
}

/**
 * Lifetime activity per account and customer (first and last activity, events), kept up to date
 * with every stored transaction: the features are rebuilt from a bounded window of history, so
 * without it an account silent for longer than the window would read as "never seen" after a
 * restart and a dormancy rule could never fire.
 */
const activity: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE monitoring_entity_activity (
        tenant_id   text NOT NULL,
        kind        text NOT NULL CHECK (kind IN ('account', 'customer')),
        entity_id   text NOT NULL,
        first_at    timestamptz NOT NULL,
        last_at     timestamptz NOT NULL,
        last_in_at  timestamptz,
        last_out_at timestamptz,
        events      bigint NOT NULL,
        PRIMARY KEY (tenant_id, kind, entity_id)
      )`,
      // existing history: build the lifetime rows once
      `INSERT INTO monitoring_entity_activity (tenant_id, kind, entity_id, first_at, last_at, last_in_at, last_out_at, events)
       SELECT tenant_id, kind, entity_id, min(at), max(at), max(at) FILTER (WHERE dir = 'in'),
              max(at) FILTER (WHERE dir = 'out'), count(*)
       FROM (
         SELECT tenant_id, 'account' AS kind, src AS entity_id, 'out' AS dir, at FROM monitoring_transactions WHERE src <> 'cash'
         UNION ALL SELECT tenant_id, 'account', dst, 'in', at FROM monitoring_transactions WHERE dst <> 'cash'
         UNION ALL SELECT tenant_id, 'customer', src_customer, 'out', at FROM monitoring_transactions WHERE src_customer IS NOT NULL
         UNION ALL SELECT tenant_id, 'customer', dst_customer, 'in', at FROM monitoring_transactions WHERE dst_customer IS NOT NULL
       ) x
       GROUP BY tenant_id, kind, entity_id`,
    ])
  },
}

export const monitoringMigrations: NamedMigrations = {
  '0300_monitoring_core': core,
  '0301_monitoring_address': address,
  '0302_monitoring_entity_activity': activity,
}
