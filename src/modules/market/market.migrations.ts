import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

const marketCore: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE market_alert_rules (
        tenant_id  text        NOT NULL,
        rule_id    text        NOT NULL,
        instrument text        NOT NULL,
        kind       text        NOT NULL CHECK (kind IN ('price_cross', 'pct_move', 'volume_spike')),
        params     jsonb       NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, rule_id)
      )`,
      `CREATE TABLE market_alerts (
        tenant_id  text        NOT NULL,
        alert_id   text        NOT NULL,
        rule_id    text        NOT NULL,
        instrument text        NOT NULL,
        kind       text        NOT NULL,
        price      text        NOT NULL,
        tick_at    timestamptz NOT NULL,
        tick_id    text        NOT NULL,
        message    text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, alert_id)
      )`,
      `CREATE INDEX market_alerts_recent ON market_alerts (tenant_id, tick_at DESC, alert_id)`,
    ])
  },
}

export const marketMigrations: NamedMigrations = { '0110_market_core': marketCore }
