import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * Risk (range 1400–1499, docs/adr/0005). `risk_models` is the model registry: one row per trained
 * version with its training window, features, metrics (validation and the shadow gate), who trained
 * and who promoted it; at most one live model per tenant (partial unique index). `risk_alerts` holds
 * what a model raised — a score with its TreeSHAP explanation, or a drifting feature — so that the
 * case view can show why.
 */
const core: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE risk_models (
        tenant_id     text NOT NULL,
        model_id      text NOT NULL,
        version       integer NOT NULL,
        status        text NOT NULL CHECK (status IN ('shadow', 'live', 'retired')),
        window_from   timestamptz NOT NULL,
        window_to     timestamptz NOT NULL,
        holdout_from  timestamptz NOT NULL,
        features      jsonb NOT NULL,
        metrics       jsonb NOT NULL,
        model         jsonb NOT NULL,
        threshold     double precision NOT NULL,
        trained_by    text NOT NULL,
        trained_at    timestamptz NOT NULL,
        promoted_by   text,
        promoted_at   timestamptz,
        PRIMARY KEY (tenant_id, model_id),
        UNIQUE (tenant_id, version)
      )`,
      `CREATE UNIQUE INDEX risk_models_one_live ON risk_models (tenant_id) WHERE status = 'live'`,
      `CREATE TABLE risk_alerts (
        tenant_id    text NOT NULL,
        alert_id     text NOT NULL,
        kind         text NOT NULL CHECK (kind IN ('score', 'drift')),
        model_id     text NOT NULL,
        subject      text NOT NULL,
        txn_id       text,
        probability  double precision,
        details      jsonb NOT NULL,
        created_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, alert_id)
      )`,
      `CREATE INDEX risk_alerts_by_subject ON risk_alerts (tenant_id, subject, created_at)`,
    ])
  },
}

/**
 * Every model's scores in the monitoring decision (champion and challengers), per subject and day:
 * the champion/challenger metrics over time read them (score.store.ts).
 */
const scores: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE risk_scores (
        tenant_id        text NOT NULL,
        model_id         text NOT NULL,
        day              date NOT NULL,
        subject          text NOT NULL,
        max_probability  double precision NOT NULL,
        scored           integer NOT NULL,
        top_txn_id       text NOT NULL,
        champion         boolean NOT NULL,
        PRIMARY KEY (tenant_id, model_id, day, subject)
      )`,
      `CREATE INDEX risk_scores_champion ON risk_scores (tenant_id, day) WHERE champion`,
    ])
  },
}

/**
 * Each subject-day's highest row log-odds (at most SUBJECT_DAY_MARGINS): a scorer rebuilt (every
 * refresh, or after a restart) starts with each subject's recent top rows instead of none
 * (subject-score.ts). Null on days recorded before.
 */
const topMargins: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE risk_scores ADD COLUMN top_margins double precision[]`])
  },
}

/**
 * A model's subjects as its training left them (the last SUBJECT_WINDOW_MS of its window, per
 * subject-day, like risk_scores' top_margins and scored, with each margin's transaction time so it
 * leaves the window when its row would): what a new model's scorer starts from.
 */
const subjectSeeds: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE risk_subject_seeds (
        tenant_id    text NOT NULL,
        model_id     text NOT NULL,
        day          date NOT NULL,
        subject      text NOT NULL,
        top_margins  double precision[] NOT NULL,
        top_at       double precision[] NOT NULL,
        scored       integer NOT NULL,
        PRIMARY KEY (tenant_id, model_id, day, subject)
      )`,
    ])
  },
}

/**
 * Who retired a model, when and why: a shadow is retired when newer trainings push it past the
 * tenant's shadow limit (MONETA_RISK_MAX_SHADOWS) or by an operator; a live model when another is
 * promoted. Every shadow is scored in the decision path, so shadows that pile up (one per scheduled
 * retrain) cost every decision and every scorer rebuild.
 */
const retirement: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `ALTER TABLE risk_models ADD COLUMN retired_by text, ADD COLUMN retired_at timestamptz,
        ADD COLUMN retired_reason text`,
    ])
  },
}

export const riskMigrations: NamedMigrations = {
  '1400_risk_core': core,
  '1401_risk_scores': scores,
  '1402_risk_scores_top_margins': topMargins,
  '1403_risk_subject_seeds': subjectSeeds,
  '1404_risk_model_retirement': retirement,
}
