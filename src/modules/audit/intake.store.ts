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

/**
 * Inserts records in `db` — the caller's transaction, or the pool for a group commit: one row per
 * tenant for the whole call (a JSON array of its records, in call order), not one per record. A
 * round of 500 webhook captures is one row, not 500 rows and 1,000 index entries that the appender
 * deletes again a moment later (issue #18). A single record keeps the old shape (a JSON object).
 */
export async function insertIntake(db: Exec, records: readonly IntakeRecord[]): Promise<void> {
  if (records.length === 0) return
  const byTenant = new Map<string, IntakeRecord[]>()
  for (const r of records) {
    const list = byTenant.get(r.tenant)
    if (list) list.push(r)
    else byTenant.set(r.tenant, [r])
  }
  // One JSON parameter for the batch: as a text[] of records, pg escaped every quote of every record
  // in JavaScript (a 500-capture webhook round's audit entries were ~8 % of the applier's CPU; issue
  // #18, session 17). A `json` field keeps its text as sent, so `record` is the JSON.stringify of the
  // record or of the tenant's array. json_to_recordset keeps the order; `a` is the first record's time.
  const batch = JSON.stringify(
    [...byTenant].map(([t, rs]) => ({ t, r: rs.length === 1 ? rs[0] : rs, a: rs[0]!.ts, e: rs.length })),
  )
  await sql`
    INSERT INTO audit_intake (tenant_id, record, recorded_at, entries)
    SELECT x.t, x.r::text, x.a::timestamptz, x.e
    FROM ROWS FROM (json_to_recordset(${batch}::json) AS (t text, r json, a text, e integer)) WITH ORDINALITY AS x(t, r, a, e, n)
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

/**
 * Removes and returns the oldest `limit` committed records, in intake order (inside the append
 * transaction, under the appender lock). Rows holding fewer records than are still wanted are
 * deleted whole; the one that holds more gives its first records and keeps the rest, rewritten in
 * the same transaction: a record leaves the intake exactly when it enters the log.
 */
export async function takeIntake(trx: Exec, limit: number): Promise<TakenRecord[]> {
  const rows = (
    await sql<{ tenant_id: string; seq: bigint | string; record: string }>`
      SELECT tenant_id, seq, record FROM audit_intake ORDER BY seq LIMIT ${limit}`.execute(trx)
  ).rows
  const taken: TakenRecord[] = []
  const whole: { tenant: string; seq: string }[] = []
  for (const row of rows) {
    const intakeSeq = BigInt(row.seq)
    const parsed = JSON.parse(row.record) as IntakeRecord | IntakeRecord[]
    const records = Array.isArray(parsed) ? parsed : [parsed]
    const wanted = limit - taken.length
    for (const rec of records.slice(0, wanted)) taken.push({ ...rec, intakeSeq })
    if (records.length <= wanted) {
      whole.push({ tenant: row.tenant_id, seq: intakeSeq.toString() })
      if (records.length === wanted) break
      continue
    }
    const rest = records.slice(wanted)
    await sql`UPDATE audit_intake SET record = ${JSON.stringify(rest.length === 1 ? rest[0] : rest)},
                entries = ${rest.length}
              WHERE tenant_id = ${row.tenant_id} AND seq = ${intakeSeq.toString()}::bigint`.execute(trx)
    break
  }
  if (whole.length > 0)
    await sql`DELETE FROM audit_intake WHERE (tenant_id, seq) IN (
        SELECT * FROM unnest(${whole.map((w) => w.tenant)}::text[], ${whole.map((w) => w.seq)}::bigint[]))`.execute(
      trx,
    )
  return taken
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
  const r = await sql<{ n: bigint | null }>`SELECT sum(entries) AS n FROM audit_intake`.execute(db)
  return Number(r.rows[0]?.n ?? 0n)
}
