import { sql, type Kysely } from 'kysely'
import type { Database } from '../../shared/db/schema.js'
import type { Checkpoint } from './audit.js'
import type { StoredEntry } from './verify.js'

type Exec = Kysely<Database>

export interface Head {
  treeSize: number
  frontier: Buffer
}

/** Locks (creating if needed) the tenant's head row for the rest of the transaction. */
export async function lockHead(db: Exec, tenant: string, at: Date): Promise<Head> {
  await sql`
    INSERT INTO audit_heads (tenant_id, tree_size, frontier, updated_at) VALUES (${tenant}, 0, ${Buffer.alloc(0)}, ${at})
    ON CONFLICT (tenant_id) DO NOTHING`.execute(db)
  const r = await sql<{ tree_size: bigint; frontier: Buffer }>`
    SELECT tree_size, frontier FROM audit_heads WHERE tenant_id = ${tenant} FOR UPDATE`.execute(db)
  const row = r.rows[0]!
  return { treeSize: Number(row.tree_size), frontier: Buffer.from(row.frontier) }
}

/** The head without locking it (a prediction; appends re-check under the lock). */
export async function readHead(db: Exec, tenant: string): Promise<Head> {
  const r = await sql<{ tree_size: bigint; frontier: Buffer }>`
    SELECT tree_size, frontier FROM audit_heads WHERE tenant_id = ${tenant}`.execute(db)
  const row = r.rows[0]
  return row
    ? { treeSize: Number(row.tree_size), frontier: Buffer.from(row.frontier) }
    : { treeSize: 0, frontier: Buffer.alloc(0) }
}

export async function readHeadSize(db: Exec, tenant: string): Promise<number> {
  const r = await sql<{
    tree_size: bigint
  }>`SELECT tree_size FROM audit_heads WHERE tenant_id = ${tenant}`.execute(db)
  return r.rows[0] ? Number(r.rows[0].tree_size) : 0
}

/** Rows as the JSON parameters insertEntries sends (built ahead of the transaction). */
export function entriesJson(
  rows: readonly { seq: number; entry: string; leaf: Buffer; mac: Buffer; at: string }[],
): string[] {
  const CHUNK = 5000
  const out: string[] = []
  for (let i = 0; i < rows.length; i += CHUNK) {
    out.push(
      JSON.stringify(
        rows.slice(i, i + CHUNK).map((r) => ({
          s: r.seq,
          e: r.entry,
          l: r.leaf.toString('base64'),
          m: r.mac.toString('base64'),
          t: r.at,
        })),
      ),
    )
  }
  return out
}

/** One JSON parameter per chunk: far cheaper to send and parse than thousands of bind parameters. */
export async function insertEntries(db: Exec, tenant: string, chunks: readonly string[]): Promise<void> {
  for (const json of chunks) {
    await sql`
      INSERT INTO audit_entries (tenant_id, seq, entry, leaf_hash, mac, created_at)
      SELECT ${tenant}, x.s, x.e, decode(x.l, 'base64'), decode(x.m, 'base64'), x.t
      FROM json_to_recordset(${json}::json) AS x(s bigint, e text, l text, m text, t timestamptz)`.execute(db)
  }
}

export async function updateHead(db: Exec, tenant: string, head: Head, at: Date): Promise<void> {
  await sql`
    UPDATE audit_heads SET tree_size = ${head.treeSize}, frontier = ${head.frontier}, updated_at = ${at}
    WHERE tenant_id = ${tenant}`.execute(db)
}

export async function insertCheckpoint(db: Exec, cp: Checkpoint): Promise<void> {
  await sql`
    INSERT INTO audit_checkpoints (tenant_id, tree_size, root, signed_at, key_id, signature)
    VALUES (${cp.tenant}, ${cp.treeSize}, ${cp.root}, ${cp.signedAt}, ${cp.keyId}, ${cp.signature})
    ON CONFLICT (tenant_id, tree_size) DO NOTHING`.execute(db)
}

interface CpRow {
  tenant_id: string
  tree_size: bigint
  root: Buffer
  signed_at: string
  key_id: string
  signature: Buffer
}
const toCp = (r: CpRow): Checkpoint => ({
  tenant: r.tenant_id,
  treeSize: Number(r.tree_size),
  root: Buffer.from(r.root),
  signedAt: r.signed_at,
  keyId: r.key_id,
  signature: Buffer.from(r.signature),
})

export async function listCheckpoints(db: Exec, tenant: string): Promise<Checkpoint[]> {
  const r = await sql<CpRow>`
    SELECT tenant_id, tree_size, root, signed_at, key_id, signature FROM audit_checkpoints
    WHERE tenant_id = ${tenant} ORDER BY tree_size`.execute(db)
  return r.rows.map(toCp)
}

export async function latestCheckpoint(
  db: Exec,
  tenant: string,
  atMost?: number,
): Promise<Checkpoint | undefined> {
  const r = await sql<CpRow>`
    SELECT tenant_id, tree_size, root, signed_at, key_id, signature FROM audit_checkpoints
    WHERE tenant_id = ${tenant} ${atMost === undefined ? sql`` : sql`AND tree_size <= ${atMost}`}
    ORDER BY tree_size DESC LIMIT 1`.execute(db)
  return r.rows[0] && toCp(r.rows[0])
}

export async function checkpointAt(db: Exec, tenant: string, size: number): Promise<Checkpoint | undefined> {
  const r = await sql<CpRow>`
    SELECT tenant_id, tree_size, root, signed_at, key_id, signature FROM audit_checkpoints
    WHERE tenant_id = ${tenant} AND tree_size = ${size}`.execute(db)
  return r.rows[0] && toCp(r.rows[0])
}

interface AggPage {
  n: bigint
  ok: boolean | null
  seqs: string | null
  present: string | null
  entries: string | null
  leaves: string | null
  macs: string | null
}

/**
 * One page as a handful of aggregated columns instead of thousands of rows: an order of magnitude
 * less driver work. Falls back to plain rows when the aggregate cannot be split unambiguously
 * (a tampered entry containing the separator, or a hash column of the wrong length).
 */
async function fetchPage(
  db: Exec,
  tenant: string,
  lo: number,
  hi: number,
  macs: boolean,
): Promise<StoredEntry[]> {
  if (!macs) {
    // Verification's fast path: a dense page of unpruned entries needs only their texts
    // (seqs are implied, leaves are recomputed). Anything else takes the general query below.
    const d = await sql<{
      n: bigint
      texts: bigint
      lo: bigint | null
      hi: bigint | null
      entries: string | null
    }>`
      SELECT count(*) AS n, count(entry) AS texts, min(seq) AS lo, max(seq) AS hi,
        string_agg(entry, E'\x1e' ORDER BY seq) AS entries
      FROM audit_entries WHERE tenant_id = ${tenant} AND seq >= ${lo} AND seq < ${hi}`.execute(db)
    const row = d.rows[0]
    const n = Number(row?.n ?? 0n)
    if (!row || n === 0) return []
    if (
      Number(row.texts) === n &&
      Number(row.lo) === lo &&
      Number(row.hi) === lo + n - 1 &&
      row.entries !== null
    ) {
      const entries = row.entries.split('\x1e')
      if (entries.length === n) {
        const none = Buffer.alloc(0)
        return entries.map((entry, i) => ({ seq: lo + i, entry, leafHash: none, mac: none }))
      }
    }
  }
  // A seq range, not OFFSET/LIMIT: an index range scan whatever the page.
  const r = await sql<AggPage>`
    SELECT count(*) AS n,
      bool_and(length(leaf_hash) = 32 AND (${!macs} OR length(mac) = 32)) AS ok,
      string_agg(seq::text, ',' ORDER BY seq) AS seqs,
      string_agg(CASE WHEN entry IS NULL THEN '0' ELSE '1' END, '' ORDER BY seq) AS present,
      string_agg(coalesce(entry, ''), E'\x1e' ORDER BY seq) AS entries,
      encode(string_agg(leaf_hash, ''::bytea ORDER BY seq), 'base64') AS leaves,
      ${macs ? sql`encode(string_agg(mac, ''::bytea ORDER BY seq), 'base64')` : sql`''`} AS macs
    FROM audit_entries WHERE tenant_id = ${tenant} AND seq >= ${lo} AND seq < ${hi}`.execute(db)
  const a = r.rows[0]
  const n = Number(a?.n ?? 0n)
  if (!a || n === 0) return []
  const seqs = a.seqs!.split(',')
  const entries = a.entries!.split('\x1e')
  const leaves = Buffer.from(a.leaves!, 'base64')
  const macBytes = Buffer.from(a.macs!, 'base64')
  const noMac = Buffer.alloc(0)
  if (
    a.ok &&
    seqs.length === n &&
    entries.length === n &&
    a.present!.length === n &&
    leaves.length === 32 * n &&
    (!macs || macBytes.length === 32 * n)
  ) {
    const out: StoredEntry[] = new Array<StoredEntry>(n)
    for (let i = 0; i < n; i++) {
      out[i] = {
        seq: Number(seqs[i]),
        entry: a.present![i] === '1' ? entries[i]! : null,
        leafHash: leaves.subarray(i * 32, i * 32 + 32),
        mac: macs ? macBytes.subarray(i * 32, i * 32 + 32) : noMac,
      }
    }
    return out
  }
  const rows = await sql<{ seq: bigint; entry: string | null; leaf_hash: Buffer; mac: Buffer }>`
    SELECT seq, entry, leaf_hash, mac FROM audit_entries
    WHERE tenant_id = ${tenant} AND seq >= ${lo} AND seq < ${hi} ORDER BY seq`.execute(db)
  return rows.rows.map((row) => ({
    seq: Number(row.seq),
    entry: row.entry,
    leafHash: Buffer.from(row.leaf_hash),
    mac: Buffer.from(row.mac),
  }))
}

/**
 * Entries in seq order, `pageSize` seq numbers at a time (gaps make pages shorter); the next page
 * is fetched while this one is used. Rows with out-of-range seqs (tampering) are included.
 */
export async function* pageEntries(
  db: Exec,
  tenant: string,
  pageSize: number,
  from?: number,
  to?: number,
  opts: { macs?: boolean } = {},
): AsyncGenerator<StoredEntry[]> {
  const macs = opts.macs ?? true
  const b = await sql<{ lo: bigint | null; hi: bigint | null }>`
    SELECT min(seq) AS lo, max(seq) AS hi FROM audit_entries WHERE tenant_id = ${tenant}`.execute(db)
  if (b.rows[0]?.lo === null || b.rows[0]?.lo === undefined) return
  const start = Math.max(Number(b.rows[0].lo), from ?? -Infinity)
  const end = Math.min(Number(b.rows[0].hi) + 1, to ?? Infinity)
  // Keep a few pages in flight: the database aggregates the next pages while this one is hashed.
  const depth = 3
  const inflight: Promise<StoredEntry[]>[] = []
  let lo = start
  const more = (): void => {
    while (inflight.length < depth && lo < end) {
      const p = fetchPage(db, tenant, lo, Math.min(lo + pageSize, end), macs)
      p.catch(() => undefined) // surfaced when awaited; not unhandled if the consumer stops early
      inflight.push(p)
      lo += pageSize
    }
  }
  more()
  while (inflight.length > 0) {
    const page = await inflight.shift()!
    more()
    if (page.length > 0) yield page
  }
}

/** Stored leaf hashes of [0, size) in order (for proofs). */
export async function leafHashes(db: Exec, tenant: string, size: number): Promise<Buffer[]> {
  const out: Buffer[] = []
  let after = -1
  while (out.length < size) {
    const r = await sql<{ seq: bigint; leaf_hash: Buffer }>`
      SELECT seq, leaf_hash FROM audit_entries WHERE tenant_id = ${tenant} AND seq > ${after} AND seq < ${size}
      ORDER BY seq LIMIT 50000`.execute(db)
    if (r.rows.length === 0) break
    for (const row of r.rows) {
      if (Number(row.seq) !== out.length) return out // a gap: the caller reports it
      out.push(Buffer.from(row.leaf_hash))
    }
    after = Number(r.rows[r.rows.length - 1]!.seq)
  }
  return out
}
