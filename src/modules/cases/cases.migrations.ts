import type { Kysely, Migration } from 'kysely'
import { runStatements, type NamedMigrations } from '../../shared/db/migrate.js'

/**
 * Cases (range 1000–1099, docs/adr/0005).
 *
 * `open_key` (party|subject) is unique among a tenant's non-closed cases: that partial unique index is
 * what makes "one open case per party and subject" hold under concurrent intake. The queue indexes
 * are partial on non-closed cases and end in the queue's sort (priority, due date, id), so every
 * filter the queue offers (none, status, assignee, kind) is an index range read in order, stopped by
 * LIMIT, whatever the number of cases.
 */
const cases: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `CREATE TABLE cases_cases (
        tenant_id    text NOT NULL,
        case_id      text NOT NULL,
        open_key     text NOT NULL,
        party_id     text,
        subject      text NOT NULL,
        kind         text NOT NULL CHECK (kind IN ('monitoring', 'screening', 'market')),
        status       text NOT NULL CHECK (status IN ('open', 'investigating', 'escalated', 'closed')),
        priority     smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
        assignee     text,
        due_at       timestamptz NOT NULL,
        opened_at    timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL,
        closed_at    timestamptz,
        outcome      text CHECK (outcome IN ('no_issue', 'false_positive', 'true_positive', 'sar_filed')),
        alert_count  integer NOT NULL DEFAULT 0,
        max_screening_score double precision,
        PRIMARY KEY (tenant_id, case_id),
        CHECK ((status = 'closed') = (outcome IS NOT NULL))
      )`,
      `CREATE UNIQUE INDEX cases_one_open ON cases_cases (tenant_id, open_key) WHERE status <> 'closed'`,
      `CREATE INDEX cases_queue ON cases_cases (tenant_id, priority, due_at, case_id) WHERE status <> 'closed'`,
      `CREATE INDEX cases_queue_status ON cases_cases (tenant_id, status, priority, due_at, case_id)`,
      `CREATE INDEX cases_queue_assignee ON cases_cases (tenant_id, assignee, priority, due_at, case_id) WHERE status <> 'closed'`,
      `CREATE INDEX cases_queue_kind ON cases_cases (tenant_id, kind, priority, due_at, case_id) WHERE status <> 'closed'`,
      `CREATE INDEX cases_by_party ON cases_cases (tenant_id, party_id) WHERE party_id IS NOT NULL`,
      // Every alert that reached cases, once (source + alert id), with the label it got at closing.
      `CREATE TABLE cases_alerts (
        tenant_id   text NOT NULL,
        source      text NOT NULL,
        alert_id    text NOT NULL,
        case_id     text,
        party_id    text,
        subject     text NOT NULL,
        rule        text NOT NULL,
        typology    text,
        score       double precision NOT NULL,
        priority    smallint NOT NULL,
        summary     text NOT NULL,
        raised_at   timestamptz NOT NULL,
        payload     jsonb NOT NULL,
        label       text CHECK (label IN ('no_issue', 'false_positive', 'true_positive', 'sar_filed')),
        PRIMARY KEY (tenant_id, source, alert_id)
      )`,
      `CREATE INDEX cases_alerts_by_case ON cases_alerts (tenant_id, case_id)`,
      // Transactions and counterparties linked to a case (by an alert or by an analyst).
      `CREATE TABLE cases_links (
        tenant_id  text NOT NULL,
        case_id    text NOT NULL,
        link_type  text NOT NULL CHECK (link_type IN ('transaction', 'counterparty')),
        ref        text NOT NULL,
        facts      jsonb NOT NULL DEFAULT '{}'::jsonb,
        linked_by  text NOT NULL,
        linked_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, case_id, link_type, ref)
      )`,
      // The case's timeline: every action, in order (comments are timeline entries too).
      `CREATE TABLE cases_timeline (
        tenant_id  text NOT NULL,
        case_id    text NOT NULL,
        entry_id   text NOT NULL,
        at         timestamptz NOT NULL,
        actor      text NOT NULL,
        action     text NOT NULL,
        details    jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (tenant_id, case_id, entry_id)
      )`,
      // Evidence attachments: content encrypted with the field cipher (bound to tenant and attachment id).
      `CREATE TABLE cases_attachments (
        tenant_id     text NOT NULL,
        attachment_id text NOT NULL,
        case_id       text NOT NULL,
        name          text NOT NULL,
        media_type    text NOT NULL,
        size          integer NOT NULL,
        sha256        text NOT NULL,
        content_ct    bytea NOT NULL,
        added_by      text NOT NULL,
        added_at      timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, attachment_id)
      )`,
      `CREATE INDEX cases_attachments_by_case ON cases_attachments (tenant_id, case_id)`,
      // Four-eyes: a closing that needs a second operator waits here as a proposal.
      `CREATE TABLE cases_proposals (
        tenant_id    text NOT NULL,
        proposal_id  text NOT NULL,
        case_id      text NOT NULL,
        outcome      text NOT NULL,
        reason       text NOT NULL,
        why_four_eyes text NOT NULL,
        proposed_by  text NOT NULL,
        proposed_at  timestamptz NOT NULL,
        status       text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        decided_by   text,
        decided_at   timestamptz,
        note         text,
        PRIMARY KEY (tenant_id, proposal_id)
      )`,
      `CREATE UNIQUE INDEX cases_one_pending_proposal ON cases_proposals (tenant_id, case_id) WHERE status = 'pending'`,
      // SAR drafts: every edit is a new version (the draft is never updated in place).
      `CREATE TABLE cases_sar_drafts (
        tenant_id  text NOT NULL,
        case_id    text NOT NULL,
        version    integer NOT NULL,
        draft      jsonb NOT NULL,
        edited_by  text NOT NULL,
        created_at timestamptz NOT NULL,
        note       text,
        PRIMARY KEY (tenant_id, case_id, version)
      )`,
    ])
  },
}

/**
 * Two indexes fewer: assignee and kind filters read the partial queue index in order and check the
 * rows (a page reads a few hundred index entries at most, measured with a million cases by
 * `npm run bench -- cases`), and every intake upsert stops paying for two more index updates.
 */
const leanerQueueIndexes: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [
      `DROP INDEX IF EXISTS cases_queue_assignee`,
      `DROP INDEX IF EXISTS cases_queue_kind`,
    ])
  },
}

/**
 * Room on each page for a case's next version: intake folds new alerts into an open case by updating
 * its count and updated_at, columns no index holds, so with free space on the page PostgreSQL makes
 * it a HOT update and skips every index (four of them) instead of adding an entry to each.
 */
const roomForHotUpdates: Migration = {
  async up(db: Kysely<unknown>) {
    await runStatements(db, [`ALTER TABLE cases_cases SET (fillfactor = 70)`])
  },
}

export const casesMigrations: NamedMigrations = {
  '1000_cases': cases,
  '1001_cases_leaner_queue_indexes': leanerQueueIndexes,
  '1002_cases_room_for_hot_updates': roomForHotUpdates,
}
