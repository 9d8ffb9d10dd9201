import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

/**
 * The highest analytics_seq below which no row can still appear (ADR 1200).
 *
 * `analytics_next_seq()` gives a transaction its id before it takes a seq. So every seq handed out
 * before we read the sequence's last value L belongs to a transaction whose id is below the xmax of
 * a snapshot taken after that read. Once a later snapshot's xmin reaches that xmax, all those
 * transactions have ended: every row with seq ≤ L is visible now, or rolled back for good. Waiting
 * for that (usually at once; as long as the longest open writer otherwise) replaces the relay's gap
 * tracking (ADR 0101): an export can afford to lag by one transaction, so it need not track gaps.
 */
export async function safeHorizon(
  db: Db,
  opts: { readonly waitMs: number; readonly sleep?: (ms: number) => Promise<void> },
): Promise<bigint | null> {
  const seq = await sql<{ last_value: bigint; is_called: boolean }>`
    SELECT last_value, is_called FROM analytics_seq_gen`.execute(db)
  const row = seq.rows[0]!
  const last = row.is_called ? BigInt(row.last_value) : BigInt(row.last_value) - 1n
  const xmax = await snapshotBound(db, 'xmax')
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)))
  const deadline = Date.now() + opts.waitMs
  for (;;) {
    if ((await snapshotBound(db, 'xmin')) >= xmax) return last
    if (Date.now() >= deadline) return null
    await sleep(25)
  }
}

async function snapshotBound(db: Db, which: 'xmin' | 'xmax'): Promise<bigint> {
  const fn =
    which === 'xmin'
      ? sql`pg_snapshot_xmin(pg_current_snapshot())`
      : sql`pg_snapshot_xmax(pg_current_snapshot())`
  const r = await sql<{ v: string }>`SELECT ${fn}::text AS v`.execute(db)
  return BigInt(r.rows[0]!.v)
}
