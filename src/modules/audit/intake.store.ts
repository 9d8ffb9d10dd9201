import { sql, type Kysely } from 'kysely'
import type { Database } from '../../shared/db/schema.js'

type Exec = Kysely<Database>

/** An audit record as it waits in `audit_intake`: validated, redacted, stamped. */
export interface IntakeRecord {
  readonly tenant: string
  readonly actor: string
  readonly action: string
  readonly resource: string
  readonly outcome: string
  readonly origin: string
  readonly details?: Readonly<Record<string, unknown>> | undefined
  /** ISO-8601 time the change was recorded (becomes the entry's `ts`). */
  readonly ts: string
}

export interface TakenRecord extends IntakeRecord {
  readonly intakeSeq: bigint
}

/** Inserts records in `db` — the caller's transaction, or the pool for a group commit. */
export async function insertIntake(db: Exec, records: readonly IntakeRecord[]): Promise<void> {
  if (records.length === 0) return
  // One JSON parameter for the batch: as a text[] of records, pg escaped every quote of every record
  // in JavaScript (a 500-capture webhook round's audit entries were ~8 % of the applier's CPU; issue
  // #18, session 17). A `json` field keeps its text as sent, so `record` is the record's
  // JSON.stringify, as before. json_to_recordset keeps the array's order.
  const batch = JSON.stringify(records.map((r) => ({ t: r.tenant, r, a: r.ts })))
  await sql`
    INSERT INTO audit_intake (tenant_id, record, recorded_at)
    SELECT x.t, x.r::text, x.a::timestamptz
    FROM ROWS FROM (json_to_recordset(${batch}::json) AS (t text, r json, a text)) WITH ORDINALITY AS x(t, r, a, n)
    ORDER BY x.n`.execute(db)
}

/**
 * The one appender of the moment: a transaction-scoped advisory lock, so entries reach the log in
 * intake order even with several processes (the others skip, or wait when `wait`).
 */
export async function lockAppender(trx: Exec, wait: boolean): Promise<boolean> {
  if (wait) {
    await sql`SELECT pg_advisory_xact_lock(hashtext('moneta.audit.appender'))`.execute(trx)
    return true
  }
  const r = await sql<{ ok: boolean }>`
    SELECT pg_try_advisory_xact_lock(hashtext('moneta.audit.appender')) AS ok`.execute(trx)
  return r.rows[0]?.ok === true
}

/** Removes and returns the oldest `limit` committed records, in intake order (inside the append transaction). */
export async function takeIntake(trx: Exec, limit: number): Promise<TakenRecord[]> {
  const r = await sql<{ seq: bigint; record: string }>`
    DELETE FROM audit_intake WHERE (tenant_id, seq) IN (
      SELECT tenant_id, seq FROM audit_intake ORDER BY seq LIMIT ${limit})
    RETURNING seq, record`.execute(trx)
  return r.rows
    .map((row) => ({ ...(JSON.parse(row.record) as IntakeRecord), intakeSeq: BigInt(row.seq) }))
    .sort((a, b) => (a.intakeSeq < b.intakeSeq ? -1 : a.intakeSeq > b.intakeSeq ? 1 : 0))
}

/** The newest intake position committed so far (0n when empty): what `flush()` must drain up to. */
export async function intakeHigh(db: Exec): Promise<bigint> {
  const r = await sql<{ hi: bigint | null }>`SELECT max(seq) AS hi FROM audit_intake`.execute(db)
  return r.rows[0]?.hi === null || r.rows[0]?.hi === undefined ? 0n : BigInt(r.rows[0].hi)
}

/** Whether any committed record at or below `upTo` still waits. */
export async function intakeWaiting(db: Exec, upTo: bigint): Promise<boolean> {
  const r = await sql<{
    one: number
  }>`SELECT 1 AS one FROM audit_intake WHERE seq <= ${upTo} LIMIT 1`.execute(db)
  return r.rows.length > 0
}

/** Records still waiting (for `pending()` and health). */
export async function intakeCount(db: Exec): Promise<number> {
  const r = await sql<{ n: bigint }>`SELECT count(*) AS n FROM audit_intake`.execute(db)
  return Number(r.rows[0]?.n ?? 0n)
}
