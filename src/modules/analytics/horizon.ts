import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { ANALYTICS_WRITER_LOCK } from './analytics.migrations.js'

/**
 * The highest analytics_seq below which no row can still appear (ADR 1200, "Horizon").
 *
 * `analytics_next_seq()` takes a shared transaction-scoped advisory lock before `nextval`, and holds
 * it until its transaction ends. So every seq handed out before we read the sequence's last value L
 * belongs to a transaction that held the lock before that read: it is among the holders we list
 * right after it, or it has ended (commit makes rows visible before locks are released). Once every
 * listed holder has let go, every row with seq ≤ L is visible now, or rolled back for good.
 *
 * Only writers of exported rows in this database are waited for — a long transaction elsewhere on
 * the server, or one that writes no exported table, no longer holds the export back. A writer that
 * stays open longer than `waitMs` still does: the round then exports nothing (null) and the next
 * round tries again; exporting below such a writer's seq would lose its rows for good.
 */
export async function safeHorizon(
  db: Db,
  opts: { readonly waitMs: number; readonly sleep?: (ms: number) => Promise<void> },
): Promise<bigint | null> {
  const seq = await sql<{ last_value: bigint; is_called: boolean }>`
    SELECT last_value, is_called FROM analytics_seq_gen`.execute(db)
  const row = seq.rows[0]!
  const last = row.is_called ? BigInt(row.last_value) : BigInt(row.last_value) - 1n
  const holders = await writers(db, null)
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)))
  const deadline = Date.now() + opts.waitMs
  for (;;) {
    if (holders.length === 0 || (await writers(db, holders)).length === 0) return last
    if (Date.now() >= deadline) return null
    await sleep(25)
  }
}

/** Virtual transaction ids holding the writer lock in this database (of `among`, when given). */
async function writers(db: Db, among: readonly string[] | null): Promise<string[]> {
  const [classid, objid] = ANALYTICS_WRITER_LOCK
  const r = await sql<{ vxid: string }>`
    SELECT virtualtransaction AS vxid FROM pg_locks
    WHERE locktype = 'advisory' AND classid = ${classid} AND objid = ${objid} AND objsubid = 2
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      ${among ? sql`AND virtualtransaction = ANY(${[...among]}::text[])` : sql``}`.execute(db)
  return r.rows.map((x) => x.vxid)
}
