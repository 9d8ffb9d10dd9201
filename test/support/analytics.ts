import { sql } from 'kysely'
import {
  generateFraudData,
  POSTGRES_ANALYTICS_INDEXES,
  type SyntheticOptions,
} from '../../src/modules/analytics/index.js'
import type { Db, DbHandle } from '../../src/shared/db/connect.js'
import { openTestDb, type TestDbTarget } from './db.js'
import { scratchDatabase } from './scratch-db.js'

/** Starts the export cursor `exportKey` after everything already in the (possibly shared) database. */
export async function exportFromNow(db: Db, exportKey: string): Promise<void> {
  await sql`INSERT INTO analytics_export_cursors (export_key, watermark)
    SELECT ${exportKey}, CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM analytics_seq_gen`.execute(
    db,
  )
}

/**
 * A migrated database for an analytics suite, with the indexes a team querying PostgreSQL would create
 * (the analytics module's POSTGRES_ANALYTICS_INDEXES: the plans its PostgreSQL texts are written for).
 * On PostgreSQL it is a database of the suite's own, dropped by close(): the other suites' writes on
 * the shared one should not pay for seven more indexes. Without them the suites' PostgreSQL side
 * scanned the tenant's rows once per busy account (analytics.integration: 355 s alone, 79 s with).
 */
export async function openAnalyticsTestDb(target: TestDbTarget): Promise<DbHandle> {
  const own = target.url ? scratchDatabase(target.url, 'moneta_analytics') : undefined
  await own?.create()
  try {
    const h = await openTestDb(own ? { ...target, url: own.url } : target)
    for (const s of POSTGRES_ANALYTICS_INDEXES) await sql.raw(s).execute(h.db)
    return {
      ...h,
      close: async () => {
        await h.close()
        await own?.drop()
      },
    }
  } catch (err) {
    await own?.drop()
    throw err
  }
}

/**
 * generateFraudData, then ANALYZE of the tables it filled, as autovacuum would after such a load in a
 * deployment (and as the analytics bench does). Without statistics the planner costs every index of
 * monitoring_transactions alike (one row estimated): the suites' fan_in then probed each busy
 * account through (tenant_id, at) instead of analytics_mt_dst_cov, reading the tenant's every row
 * per account (object-storage.integration, 12,000 rows: ~2 s a query instead of ~20 ms).
 */
export async function generateFraudDataAnalyzed(db: Db, o: SyntheticOptions): Promise<void> {
  await generateFraudData(db, o)
  await sql`ANALYZE monitoring_transactions, payments, ledger_entries`.execute(db)
}
