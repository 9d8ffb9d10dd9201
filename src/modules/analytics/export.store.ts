import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

/** The export's persisted position (table analytics_export_cursors, ADR 1200). */
export interface ExportCursor {
  /** Every row with analytics_seq ≤ watermark is published. */
  readonly watermark: bigint
  /** A round in progress: its upper bound and how far it got. */
  readonly pendingHigh: bigint | null
  readonly pendingPhase: 'reading' | 'staged' | null
  readonly rowsExported: bigint
  readonly updatedAt: Date
}

interface CursorRow {
  watermark: bigint
  pending_high: bigint | null
  pending_phase: 'reading' | 'staged' | null
  rows_exported: bigint
  updated_at: Date
}

const toCursor = (r: CursorRow): ExportCursor => ({
  watermark: BigInt(r.watermark),
  pendingHigh: r.pending_high === null ? null : BigInt(r.pending_high),
  pendingPhase: r.pending_phase,
  rowsExported: BigInt(r.rows_exported),
  updatedAt: new Date(r.updated_at),
})

export function createExportStore(db: Db, key: string) {
  return {
    /** Takes the lease (one exporter at a time); null when another owner holds it. */
    async acquire(owner: string, leaseMs: number): Promise<ExportCursor | null> {
      await sql`INSERT INTO analytics_export_cursors (export_key) VALUES (${key}) ON CONFLICT DO NOTHING`.execute(
        db,
      )
      const r = await sql<CursorRow>`
        UPDATE analytics_export_cursors
        SET lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
        WHERE export_key = ${key} AND (lease_until IS NULL OR lease_until < now() OR lease_owner = ${owner})
        RETURNING watermark, pending_high, pending_phase, rows_exported, updated_at`.execute(db)
      return r.rows[0] ? toCursor(r.rows[0]) : null
    },
    async setPending(owner: string, high: bigint, phase: 'reading' | 'staged'): Promise<void> {
      await sql`UPDATE analytics_export_cursors SET pending_high = ${high.toString()}, pending_phase = ${phase}, updated_at = now()
        WHERE export_key = ${key} AND lease_owner = ${owner}`.execute(db)
    },
    /** The round is published: move the watermark and clear the pending round. */
    async commit(owner: string, high: bigint, rows: number): Promise<void> {
      await sql`UPDATE analytics_export_cursors
        SET watermark = ${high.toString()}, pending_high = NULL, pending_phase = NULL,
            rows_exported = rows_exported + ${rows}, updated_at = now()
        WHERE export_key = ${key} AND lease_owner = ${owner}`.execute(db)
    },
    async release(owner: string): Promise<void> {
      await sql`UPDATE analytics_export_cursors SET lease_owner = NULL, lease_until = NULL
        WHERE export_key = ${key} AND lease_owner = ${owner}`.execute(db)
    },
    async read(): Promise<ExportCursor | null> {
      const r = await sql<CursorRow>`SELECT watermark, pending_high, pending_phase, rows_exported, updated_at
        FROM analytics_export_cursors WHERE export_key = ${key}`.execute(db)
      return r.rows[0] ? toCursor(r.rows[0]) : null
    },
  }
}

export type ExportStore = ReturnType<typeof createExportStore>
