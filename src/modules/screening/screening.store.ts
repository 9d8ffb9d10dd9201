import { sql, type Kysely, type Transaction } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { Database } from '../../shared/db/schema.js'
import type { Explanation, ListEntry, ListFormat, ListId, ScreeningQuery } from './screening.js'

type Exec = Kysely<Database> | Transaction<Database>

export interface SnapshotRow {
  readonly snapshotId: string
  readonly listId: ListId
  readonly format: ListFormat
  readonly source: string
  readonly sha256: string
  readonly entryCount: number
  readonly added: number
  readonly removed: number
  readonly changed: number
  readonly importedAt: Date
}

export interface EntryChange {
  readonly entryKey: string
  readonly change: 'added' | 'changed' | 'removed'
  readonly contentHash: string
  readonly entry: ListEntry
}

export interface SubjectRow {
  readonly subjectId: string
  readonly query: ScreeningQuery
  readonly fingerprint: string
}

export interface DecisionRow {
  readonly decisionId: string
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly decision: 'not_a_match' | 'true_match'
  readonly subjectFingerprint: string
  readonly entryHash: string
  readonly analyst: string
  readonly reason: string
  readonly createdAt: Date
}

export interface AlertInsert {
  readonly alertId: string
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly entryHash: string
  readonly subjectFingerprint: string
  readonly score: number
  readonly explanation: Explanation
  readonly source: 'screen' | 'rescreen'
}

const CHUNK = 500

/** Storage of lists, snapshots, subjects, decisions, alerts and the audit trail (PGlite and PostgreSQL). */
export function createScreeningStore(db: Db) {
  return {
    db,
    async activeSnapshots(tenantId: string, tx: Exec = db): Promise<Map<string, string>> {
      const r = await sql<{ list_id: string; active_snapshot_id: string }>`
        SELECT list_id, active_snapshot_id FROM screening_lists WHERE tenant_id = ${tenantId}`.execute(tx)
      return new Map(r.rows.map((x) => [x.list_id, x.active_snapshot_id]))
    },

    async currentHashes(tx: Exec, tenantId: string, listId: string): Promise<Map<string, string>> {
      const r = await sql<{ entry_key: string; content_hash: string }>`
        SELECT entry_key, content_hash FROM screening_entries
        WHERE tenant_id = ${tenantId} AND list_id = ${listId} AND removed_in IS NULL`.execute(tx)
      return new Map(r.rows.map((x) => [x.entry_key, x.content_hash]))
    },

    async activeEntries(tenantId: string, tx: Exec = db): Promise<{ entry: ListEntry; hash: string }[]> {
      // As text and parsed here: about twice as fast as letting the driver decode jsonb (PGlite).
      const r = await sql<{ data: string; content_hash: string }>`
        SELECT data::text AS data, content_hash FROM screening_entries
        WHERE tenant_id = ${tenantId} AND removed_in IS NULL ORDER BY list_id, entry_key`.execute(tx)
      return r.rows.map((x) => ({ entry: JSON.parse(x.data) as ListEntry, hash: x.content_hash }))
    },

    async entryHash(tenantId: string, listId: string, key: string): Promise<string | undefined> {
      const r = await sql<{ content_hash: string }>`
        SELECT content_hash FROM screening_entries
        WHERE tenant_id = ${tenantId} AND list_id = ${listId} AND entry_key = ${key} AND removed_in IS NULL`.execute(
        db,
      )
      return r.rows[0]?.content_hash
    },

    async latestSnapshot(tenantId: string, listId: string): Promise<SnapshotRow | undefined> {
      const r = await sql<Record<string, unknown>>`
        SELECT s.* FROM screening_lists l JOIN screening_snapshots s
          ON s.tenant_id = l.tenant_id AND s.snapshot_id = l.active_snapshot_id
        WHERE l.tenant_id = ${tenantId} AND l.list_id = ${listId}`.execute(db)
      return r.rows[0] ? toSnapshot(r.rows[0]) : undefined
    },

    async listStatus(tenantId: string): Promise<SnapshotRow[]> {
      const r = await sql<Record<string, unknown>>`
        SELECT s.* FROM screening_lists l JOIN screening_snapshots s
          ON s.tenant_id = l.tenant_id AND s.snapshot_id = l.active_snapshot_id
        WHERE l.tenant_id = ${tenantId} ORDER BY l.list_id`.execute(db)
      return r.rows.map(toSnapshot)
    },

    /** Writes a snapshot, its diff and the new entry states, and makes it active: all in `tx`. */
    async writeSnapshot(
      tx: Exec,
      tenantId: string,
      snap: SnapshotRow,
      changes: readonly EntryChange[],
    ): Promise<void> {
      await sql`
        INSERT INTO screening_snapshots (tenant_id, snapshot_id, list_id, format, source, sha256, entry_count,
          added, removed, changed, imported_at)
        VALUES (${tenantId}, ${snap.snapshotId}, ${snap.listId}, ${snap.format}, ${snap.source}, ${snap.sha256},
          ${snap.entryCount}, ${snap.added}, ${snap.removed}, ${snap.changed}, ${snap.importedAt})`.execute(
        tx,
      )
      for (let i = 0; i < changes.length; i += CHUNK) {
        const part = changes.slice(i, i + CHUNK)
        // A removed entry's diff row keeps its last content, copied from the current state.
        const removed = part.filter((c) => c.change === 'removed').map((c) => c.entryKey)
        if (removed.length > 0) {
          await sql`
            INSERT INTO screening_entry_changes (tenant_id, snapshot_id, list_id, entry_key, change, content_hash, data)
            SELECT tenant_id, ${snap.snapshotId}, list_id, entry_key, 'removed', content_hash, data FROM screening_entries
            WHERE tenant_id = ${tenantId} AND list_id = ${snap.listId} AND entry_key = ANY(${removed})`.execute(
            tx,
          )
          await sql`
            UPDATE screening_entries SET removed_in = ${snap.snapshotId}
            WHERE tenant_id = ${tenantId} AND list_id = ${snap.listId} AND entry_key = ANY(${removed})`.execute(
            tx,
          )
        }
        const kept = part.filter((c) => c.change !== 'removed')
        if (kept.length === 0) continue
        const changeRows = kept.map(
          (c) =>
            sql`(${tenantId}, ${snap.snapshotId}, ${snap.listId}, ${c.entryKey}, ${c.change}, ${c.contentHash}, ${JSON.stringify(c.entry)}::jsonb)`,
        )
        await sql`
          INSERT INTO screening_entry_changes (tenant_id, snapshot_id, list_id, entry_key, change, content_hash, data)
          VALUES ${sql.join(changeRows)}`.execute(tx)
        {
          const rows = kept.map(
            (c) =>
              sql`(${tenantId}, ${snap.listId}, ${c.entryKey}, ${c.contentHash}, ${JSON.stringify(c.entry)}::jsonb, ${snap.snapshotId}, NULL)`,
          )
          await sql`
            INSERT INTO screening_entries (tenant_id, list_id, entry_key, content_hash, data, updated_in, removed_in)
            VALUES ${sql.join(rows)}
            ON CONFLICT (tenant_id, list_id, entry_key) DO UPDATE
              SET content_hash = excluded.content_hash, data = excluded.data,
                  updated_in = excluded.updated_in, removed_in = NULL`.execute(tx)
        }
      }
      await sql`
        INSERT INTO screening_lists (tenant_id, list_id, active_snapshot_id, updated_at)
        VALUES (${tenantId}, ${snap.listId}, ${snap.snapshotId}, ${snap.importedAt})
        ON CONFLICT (tenant_id, list_id) DO UPDATE
          SET active_snapshot_id = excluded.active_snapshot_id, updated_at = excluded.updated_at`.execute(tx)
    },

    async snapshotChanges(tenantId: string, snapshotId: string): Promise<EntryChange[]> {
      const r = await sql<{
        entry_key: string
        change: EntryChange['change']
        content_hash: string
        data: ListEntry
      }>`
        SELECT entry_key, change, content_hash, data FROM screening_entry_changes
        WHERE tenant_id = ${tenantId} AND snapshot_id = ${snapshotId} ORDER BY entry_key`.execute(db)
      return r.rows.map((x) => ({
        entryKey: x.entry_key,
        change: x.change,
        contentHash: x.content_hash,
        entry: x.data,
      }))
    },

    async upsertSubject(tenantId: string, s: SubjectRow, at: Date, tx: Exec = db): Promise<void> {
      await sql`
        INSERT INTO screening_subjects (tenant_id, subject_id, query, fingerprint, updated_at)
        VALUES (${tenantId}, ${s.subjectId}, ${JSON.stringify(s.query)}::jsonb, ${s.fingerprint}, ${at})
        ON CONFLICT (tenant_id, subject_id) DO UPDATE
          SET query = excluded.query, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`.execute(
        tx,
      )
    },

    async subject(tenantId: string, subjectId: string): Promise<SubjectRow | undefined> {
      const r = await sql<{ subject_id: string; query: ScreeningQuery; fingerprint: string }>`
        SELECT subject_id, query, fingerprint FROM screening_subjects
        WHERE tenant_id = ${tenantId} AND subject_id = ${subjectId}`.execute(db)
      const x = r.rows[0]
      return x ? { subjectId: x.subject_id, query: x.query, fingerprint: x.fingerprint } : undefined
    },

    /** Subjects in id order after `after`, for paging through every customer. */
    async subjectsPage(tenantId: string, after: string, limit: number): Promise<SubjectRow[]> {
      const r = await sql<{ subject_id: string; query: ScreeningQuery; fingerprint: string }>`
        SELECT subject_id, query, fingerprint FROM screening_subjects
        WHERE tenant_id = ${tenantId} AND subject_id > ${after} ORDER BY subject_id LIMIT ${limit}`.execute(
        db,
      )
      return r.rows.map((x) => ({ subjectId: x.subject_id, query: x.query, fingerprint: x.fingerprint }))
    },

    /** The (list, entry) pairs an analyst cleared for this subject version and these entry versions. */
    async suppressedPairs(
      tenantId: string,
      subjectId: string,
      fingerprint: string,
      tx: Exec = db,
    ): Promise<Map<string, string>> {
      const r = await sql<{ list_id: string; entry_key: string; entry_hash: string }>`
        SELECT list_id, entry_key, entry_hash FROM screening_decisions
        WHERE tenant_id = ${tenantId} AND subject_id = ${subjectId} AND subject_fingerprint = ${fingerprint}
          AND decision = 'not_a_match'`.execute(tx)
      return new Map(r.rows.map((x) => [`${x.list_id}/${x.entry_key}`, x.entry_hash]))
    },

    async insertDecision(tx: Exec, tenantId: string, d: DecisionRow): Promise<void> {
      await sql`
        INSERT INTO screening_decisions (tenant_id, decision_id, subject_id, list_id, entry_key, decision,
          subject_fingerprint, entry_hash, analyst, reason, created_at)
        VALUES (${tenantId}, ${d.decisionId}, ${d.subjectId}, ${d.listId}, ${d.entryKey}, ${d.decision},
          ${d.subjectFingerprint}, ${d.entryHash}, ${d.analyst}, ${d.reason}, ${d.createdAt})`.execute(tx)
    },

    async decisions(tenantId: string, subjectId: string): Promise<DecisionRow[]> {
      const r = await sql<Record<string, unknown>>`
        SELECT * FROM screening_decisions WHERE tenant_id = ${tenantId} AND subject_id = ${subjectId}
        ORDER BY created_at, decision_id`.execute(db)
      return r.rows.map((x) => ({
        decisionId: x.decision_id as string,
        subjectId: x.subject_id as string,
        listId: x.list_id as string,
        entryKey: x.entry_key as string,
        decision: x.decision as DecisionRow['decision'],
        subjectFingerprint: x.subject_fingerprint as string,
        entryHash: x.entry_hash as string,
        analyst: x.analyst as string,
        reason: x.reason as string,
        createdAt: new Date(x.created_at as string),
      }))
    },

    /** Inserts alerts; an alert already raised for the same subject and entry versions is not repeated.
     *  Returns the ids of the alerts actually created. */
    async insertAlerts(
      tx: Exec,
      tenantId: string,
      alerts: readonly AlertInsert[],
      at: Date,
    ): Promise<Set<string>> {
      const created = new Set<string>()
      for (let i = 0; i < alerts.length; i += CHUNK) {
        const rows = alerts.slice(i, i + CHUNK).map(
          (a) =>
            sql`(${tenantId}, ${a.alertId}, ${a.subjectId}, ${a.listId}, ${a.entryKey}, ${a.entryHash}, ${a.subjectFingerprint},
              ${a.score}, ${JSON.stringify(a.explanation)}::jsonb, ${a.source}, 'open', ${at})`,
        )
        const r = await sql<{ alert_id: string }>`
          INSERT INTO screening_alerts (tenant_id, alert_id, subject_id, list_id, entry_key, entry_hash,
            subject_fingerprint, score, explanation, source, status, created_at)
          VALUES ${sql.join(rows)} ON CONFLICT DO NOTHING RETURNING alert_id`.execute(tx)
        for (const row of r.rows) created.add(row.alert_id)
      }
      return created
    },

    async alerts(tenantId: string, subjectId?: string, tx: Exec = db): Promise<Record<string, unknown>[]> {
      const r = subjectId
        ? await sql<Record<string, unknown>>`
            SELECT alert_id, subject_id, list_id, entry_key, score, source, status, explanation, created_at
            FROM screening_alerts WHERE tenant_id = ${tenantId} AND subject_id = ${subjectId} ORDER BY alert_id`.execute(
            tx,
          )
        : await sql<Record<string, unknown>>`
            SELECT alert_id, subject_id, list_id, entry_key, score, source, status, explanation, created_at
            FROM screening_alerts WHERE tenant_id = ${tenantId} ORDER BY alert_id`.execute(tx)
      return r.rows
    },

    async audit(
      tx: Exec,
      tenantId: string,
      row: {
        auditId: string
        action: string
        actor: string
        subjectId?: string
        listId?: string
        entryKey?: string
        details: unknown
        at: Date
      },
    ): Promise<void> {
      await sql`
        INSERT INTO screening_audit (tenant_id, audit_id, action, actor, subject_id, list_id, entry_key, details, at)
        VALUES (${tenantId}, ${row.auditId}, ${row.action}, ${row.actor}, ${row.subjectId ?? null}, ${row.listId ?? null},
          ${row.entryKey ?? null}, ${JSON.stringify(row.details)}::jsonb, ${row.at})`.execute(tx)
    },

    async auditTrail(tenantId: string, subjectId: string): Promise<Record<string, unknown>[]> {
      const r = await sql<Record<string, unknown>>`
        SELECT audit_id, action, actor, subject_id, list_id, entry_key, details, at FROM screening_audit
        WHERE tenant_id = ${tenantId} AND subject_id = ${subjectId} ORDER BY audit_id`.execute(db)
      return r.rows
    },
  }
}

export type ScreeningStore = ReturnType<typeof createScreeningStore>

function toSnapshot(x: Record<string, unknown>): SnapshotRow {
  return {
    snapshotId: x.snapshot_id as string,
    listId: x.list_id as ListId,
    format: x.format as ListFormat,
    source: x.source as string,
    sha256: x.sha256 as string,
    entryCount: Number(x.entry_count),
    added: Number(x.added),
    removed: Number(x.removed),
    changed: Number(x.changed),
    importedAt: x.imported_at instanceof Date ? x.imported_at : new Date(x.imported_at as string),
  }
}
