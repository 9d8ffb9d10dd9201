import { sql, type Kysely } from 'kysely'

/**
 * What the whole PostgreSQL server did during a bench run: WAL bytes written and checkpoints
 * started. A run that overlapped a checkpoint (after one, every page first touched is written to
 * the WAL whole) is not comparable with one that did not, and `max_wal_size` decides how often a
 * write-heavy run forces one (issue #18: at 1,000 payments/s the default 1 GB forces one a minute).
 * Server-wide counters: anything else writing at the same time is counted too.
 */
export interface PgActivity {
  walLsn: string
  checkpoints: number
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database: only catalog functions are read
export async function pgActivity(db: Kysely<any>): Promise<PgActivity> {
  const { rows } = await sql<{ lsn: string; checkpoints: string }>`
    SELECT pg_current_wal_lsn()::text AS lsn,
           (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter)::text AS checkpoints`.execute(
    db,
  )
  return { walLsn: rows[0]!.lsn, checkpoints: Number(rows[0]!.checkpoints) }
}

/** WAL bytes between two LSNs (`X/Y`, hexadecimal halves of a 64-bit position). */
export const walBytesBetween = (from: string, to: string): number =>
  Number(lsnToBigInt(to) - lsnToBigInt(from))

const lsnToBigInt = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/')
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`)
}

/** The activity between two snapshots, per operation where it makes sense. */
export function activitySince(before: PgActivity, after: PgActivity, ops: number) {
  const wal = walBytesBetween(before.walLsn, after.walLsn)
  return {
    walKbPerOp: Math.round((wal / Math.max(1, ops) / 1024) * 100) / 100,
    checkpoints: after.checkpoints - before.checkpoints,
  }
}
