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

export async function readHeadSize(db: Exec, tenant: string): Promise<number> {
  const r = await sql<{ tree_size: bigint }>`SELECT tree_size FROM audit_heads WHERE tenant_id = ${tenant}`.execute(db)
  return r.rows[0] ? Number(r.rows[0].tree_size) : 0
}

export async function insertEntries(
  db: Exec,
  tenant: string,
  rows: readonly { seq: number; entry: string; leaf: Buffer; mac: Buffer; at: Date }[],
): Promise<void> {
  const CHUNK = 2000
  for (let i = 0; i < rows.length; i += CHUNK) {
    const values = sql.join(
      rows.slice(i, i + CHUNK).map((r) => sql`(${tenant}, ${r.seq}, ${r.entry}, ${r.leaf}, ${r.mac}, ${r.at})`),
    )
    await sql`INSERT INTO audit_entries (tenant_id, seq, entry, leaf_hash, mac, created_at) VALUES ${values}`.execute(db)
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

export async function latestCheckpoint(db: Exec, tenant: string, atMost?: number): Promise<Checkpoint | undefined> {
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

/** Entries in seq order, page by page (keyset pagination). */
export async function* pageEntries(db: Exec, tenant: string, pageSize: number, from = 0, to?: number): AsyncGenerator<StoredEntry[]> {
  let after = from - 1
  for (;;) {
    const r = await sql<{ seq: bigint; entry: string | null; leaf_hash: Buffer; mac: Buffer }>`
      SELECT seq, entry, leaf_hash, mac FROM audit_entries
      WHERE tenant_id = ${tenant} AND seq > ${after} ${to === undefined ? sql`` : sql`AND seq < ${to}`}
      ORDER BY seq LIMIT ${pageSize}`.execute(db)
    if (r.rows.length === 0) return
    const page = r.rows.map((row) => ({
      seq: Number(row.seq),
      entry: row.entry,
      leafHash: Buffer.from(row.leaf_hash),
      mac: Buffer.from(row.mac),
    }))
    yield page
    after = page[page.length - 1]!.seq
    if (r.rows.length < pageSize) return
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
