import { sql } from 'kysely'
import type { Db } from '../../src/shared/db/connect.js'

/** Starts the export cursor `exportKey` after everything already in the (possibly shared) database. */
export async function exportFromNow(db: Db, exportKey: string): Promise<void> {
  await sql`INSERT INTO analytics_export_cursors (export_key, watermark)
    SELECT ${exportKey}, CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM analytics_seq_gen`.execute(
    db,
  )
}
