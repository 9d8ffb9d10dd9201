import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

export interface SnapshotRow {
  readonly snapshotId: string
  readonly listId: string
  readonly source: string
  readonly entryCount: number
  readonly added: number
  readonly removed: number
  readonly changed: number
  readonly importedAt: Date
  readonly active: boolean
}

/** Loaded snapshots, newest first (at most 100), each with its diff counts and whether it is the list's active one. */
export async function snapshots(db: Db, tenant: string): Promise<SnapshotRow[]> {
  const rows = (
    await sql<{
      snapshot_id: string
      list_id: string
      source: string
      entry_count: number
      added: number
      removed: number
      changed: number
      imported_at: Date
      active: boolean
    }>`SELECT s.snapshot_id, s.list_id, s.source, s.entry_count, s.added, s.removed, s.changed, s.imported_at,
        (l.active_snapshot_id = s.snapshot_id) AS active
      FROM screening_snapshots s
      LEFT JOIN screening_lists l ON l.tenant_id = s.tenant_id AND l.list_id = s.list_id
      WHERE s.tenant_id = ${tenant} ORDER BY s.imported_at DESC, s.snapshot_id LIMIT 100`.execute(db)
  ).rows
  return rows.map((r) => ({
    snapshotId: r.snapshot_id,
    listId: r.list_id,
    source: r.source,
    entryCount: Number(r.entry_count),
    added: Number(r.added),
    removed: Number(r.removed),
    changed: Number(r.changed),
    importedAt: new Date(r.imported_at),
    active: Boolean(r.active),
  }))
}

export interface EntryChange {
  readonly entryKey: string
  readonly change: 'added' | 'changed' | 'removed'
  readonly data: unknown
  /** The entry as the list had it before this snapshot (changed and removed entries). */
  readonly before: unknown
}

/**
 * One snapshot's diff against the one before, a page at a time (by entry key): each change with the
 * entry's data and, for changed and removed ones, its previous version from the earlier snapshots.
 */
export async function snapshotChanges(
  db: Db,
  tenant: string,
  snapshotId: string,
  page: { change?: string; after?: string; limit: number },
): Promise<{ items: EntryChange[]; next: string | null } | null> {
  const snap = (
    await sql<{ list_id: string; imported_at: Date }>`SELECT list_id, imported_at FROM screening_snapshots
      WHERE tenant_id = ${tenant} AND snapshot_id = ${snapshotId}`.execute(db)
  ).rows[0]
  if (!snap) return null
  const rows = (
    await sql<{ entry_key: string; change: EntryChange['change']; data: unknown }>`
      SELECT entry_key, change, data FROM screening_entry_changes
      WHERE tenant_id = ${tenant} AND snapshot_id = ${snapshotId}
        ${page.change ? sql`AND change = ${page.change}` : sql``}
        ${page.after ? sql`AND entry_key > ${page.after}` : sql``}
      ORDER BY entry_key LIMIT ${page.limit}`.execute(db)
  ).rows
  const earlier = (
    await sql<{ snapshot_id: string }>`SELECT snapshot_id FROM screening_snapshots
      WHERE tenant_id = ${tenant} AND list_id = ${snap.list_id} AND imported_at < ${snap.imported_at}
      ORDER BY imported_at DESC`.execute(db)
  ).rows.map((r) => r.snapshot_id)
  const keys = rows.filter((r) => r.change !== 'added').map((r) => r.entry_key)
  const before = new Map<string, unknown>()
  if (keys.length > 0 && earlier.length > 0) {
    const prev = (
      await sql<{ entry_key: string; data: unknown }>`SELECT DISTINCT ON (entry_key) entry_key, data
        FROM screening_entry_changes
        WHERE tenant_id = ${tenant} AND snapshot_id = ANY(${earlier}::text[]) AND entry_key = ANY(${keys}::text[])
        ORDER BY entry_key, array_position(${earlier}::text[], snapshot_id)`.execute(db)
    ).rows
    for (const p of prev) before.set(p.entry_key, p.data)
  }
  return {
    items: rows.map((r) => ({
      entryKey: r.entry_key,
      change: r.change,
      data: r.data,
      before: before.get(r.entry_key) ?? null,
    })),
    next: rows.length === page.limit ? rows[rows.length - 1]!.entry_key : null,
  }
}

export interface DecisionRow {
  readonly decisionId: string
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly decision: string
  readonly analyst: string
  readonly reason: string
  readonly createdAt: Date
}

/**
 * The false-positive memory: analysts' decisions, newest first (decision ids are time-ordered). A
 * "not a match" stays remembered until the subject or the list entry changes (their fingerprints).
 */
export async function decisions(
  db: Db,
  tenant: string,
  page: { decision?: string; before?: string; limit: number },
): Promise<{ items: DecisionRow[]; next: string | null }> {
  const rows = (
    await sql<{
      decision_id: string
      subject_id: string
      list_id: string
      entry_key: string
      decision: string
      analyst: string
      reason: string
      created_at: Date
    }>`SELECT decision_id, subject_id, list_id, entry_key, decision, analyst, reason, created_at
      FROM screening_decisions WHERE tenant_id = ${tenant}
        ${page.decision ? sql`AND decision = ${page.decision}` : sql``}
        ${page.before ? sql`AND decision_id < ${page.before}` : sql``}
      ORDER BY decision_id DESC LIMIT ${page.limit}`.execute(db)
  ).rows
  return {
    items: rows.map((r) => ({
      decisionId: r.decision_id,
      subjectId: r.subject_id,
      listId: r.list_id,
      entryKey: r.entry_key,
      decision: r.decision,
      analyst: r.analyst,
      reason: r.reason,
      createdAt: new Date(r.created_at),
    })),
    next: rows.length === page.limit ? rows[rows.length - 1]!.decision_id : null,
  }
}
