import type { KeyObject } from 'node:crypto'
import { claimedSeq, entryMacFactory, macEquals, verifyCheckpoint, type Checkpoint } from './audit.js'
import { Frontier, HASH_BYTES, leafHash } from './merkle.js'

export interface StoredEntry {
  readonly seq: number
  readonly entry: string | null
  readonly leafHash: Buffer
  readonly mac: Buffer
}

export type FindingKind = 'altered' | 'removed' | 'inserted' | 'reordered' | 'checkpoint' | 'index'

export interface Finding {
  readonly kind: FindingKind
  /** The entry's sequence number (its position in the log). */
  readonly seq: number
  /** Where it was found, when that differs from `seq` (reordered / copied entries). */
  readonly foundAt?: number
  readonly message: string
}

export interface VerifyReport {
  readonly tenant: string
  readonly ok: boolean
  /** Entries rows read. */
  readonly entries: number
  /** Tree size the log should have: the largest signed checkpoint or head, whichever is larger. */
  readonly treeSize: number
  readonly checkpoints: number
  readonly checkpointsVerified: number
  readonly pruned: number
  readonly findings: readonly Finding[]
  readonly root: string | undefined
}

export interface VerifyInput {
  readonly tenant: string
  readonly macKey: Buffer
  /** Public keys by key id, for checkpoint signatures. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>
  readonly checkpoints: readonly Checkpoint[]
  readonly headSize: number
  /** Entries in ascending row seq, in pages; `macs: false` may leave `mac` empty. */
  readonly pages: (opts: { macs: boolean }) => AsyncIterable<readonly StoredEntry[]>
  readonly onProgress?: (rows: number) => void
  /** At most this many findings are kept (the counts stay exact). */
  readonly maxFindings?: number
  /** Skip the fast path: always check every entry's MAC and stored leaf hash. */
  readonly full?: boolean
}

/** A growable array of 32-byte hashes with a presence map, indexed by seq. */
class LeafTable {
  buf: Buffer
  present: Uint8Array
  constructor(capacity: number) {
    this.buf = Buffer.alloc(HASH_BYTES * capacity)
    this.present = new Uint8Array(capacity)
  }
  private grow(min: number): void {
    let cap = this.present.length
    while (cap <= min) cap *= 2
    const b = Buffer.alloc(cap * HASH_BYTES)
    this.buf.copy(b)
    const p = new Uint8Array(cap)
    p.set(this.present)
    this.buf = b
    this.present = p
  }
  has(i: number): boolean {
    return i < this.present.length && this.present[i] === 1
  }
  set(i: number, h: Buffer): void {
    if (i >= this.present.length) this.grow(i)
    h.copy(this.buf, i * HASH_BYTES)
    this.present[i] = 1
  }
  get(i: number): Buffer {
    return this.buf.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)
  }
}

/**
 * Recomputes the log from its entries and checks it against the signed checkpoints.
 *
 * Each entry's leaf is recomputed from its text; its MAC (keyed outside the database, binding
 * tenant, claimed seq and leaf) tells an authentic entry from an edited or forged one, and the seq
 * inside the entry tells where it belongs. So every tampered entry is named:
 *  - altered:   a row whose content (or MAC) no longer verifies, at a position inside the log;
 *  - inserted:  a forged row beyond the signed size, or a copy of an entry that already exists;
 *  - reordered: an authentic entry found at another position than its own;
 *  - removed:   a position of the signed log with no authentic entry anywhere.
 * Then the tree is rebuilt from the authentic leaves and every checkpoint's signature and root
 * are checked (a root mismatch with all entries authentic means the checkpoint or MAC key was
 * tampered with).
 */
async function analyse(input: VerifyInput): Promise<VerifyReport> {
  const { tenant, macKey } = input
  const maxFindings = input.maxFindings ?? 10_000
  const findings: Finding[] = []
  let findingCount = 0
  const add = (f: Finding): void => {
    findingCount++
    if (findings.length < maxFindings) findings.push(f)
  }
  if (input.checkpoints.length > 0 && !input.checkpoints.some((c) => input.publicKeys.has(c.keyId))) {
    // Written under another master key (a shared test database, or a restored backup with the wrong key).
    const ids = [...new Set(input.checkpoints.map((c) => c.keyId))].join(', ')
    return {
      tenant,
      ok: false,
      entries: 0,
      treeSize: input.checkpoints.reduce((m, c) => Math.max(m, c.treeSize), input.headSize),
      checkpoints: input.checkpoints.length,
      checkpointsVerified: 0,
      pruned: 0,
      root: undefined,
      findings: [
        {
          kind: 'checkpoint',
          seq: 0,
          message: `log is signed by key ${ids}, which this master key does not hold: cannot verify`,
        },
      ],
    }
  }
  const entryMac = entryMacFactory(macKey)
  const leaves = new LeafTable(
    input.checkpoints.reduce((m, c) => Math.max(m, c.treeSize), Math.max(input.headSize, 1024)),
  )
  const badRows: number[] = []
  let rows = 0
  let pruned = 0
  let maxRow = -1

  for await (const page of input.pages({ macs: true })) {
    for (const r of page) {
      rows++
      if (r.seq > maxRow) maxRow = r.seq
      let claimed: number
      let leaf: Buffer
      if (r.entry === null) {
        pruned++
        claimed = r.seq
        leaf = r.leafHash
      } else {
        claimed = claimedSeq(r.entry)
        leaf = leafHash(r.entry)
      }
      const authentic =
        claimed >= 0 && leaf.length === 32 && macEquals(r.mac, entryMac(tenant, claimed, leaf))
      if (!authentic) {
        badRows.push(r.seq)
        continue
      }
      if (leaves.has(claimed)) {
        add({
          kind: 'inserted',
          seq: claimed,
          foundAt: r.seq,
          message: `entry ${claimed} was copied to position ${r.seq}`,
        })
        continue
      }
      leaves.set(claimed, leaf)
      if (claimed !== r.seq) {
        add({
          kind: 'reordered',
          seq: claimed,
          foundAt: r.seq,
          message: `entry ${claimed} was moved to position ${r.seq}`,
        })
      } else if (r.entry !== null && !r.leafHash.equals(leaf)) {
        add({
          kind: 'index',
          seq: claimed,
          message: `entry ${claimed}: stored leaf_hash column differs from the entry (proofs would be wrong)`,
        })
      }
    }
    input.onProgress?.(rows)
  }

  const cps = [...input.checkpoints].sort((a, b) => a.treeSize - b.treeSize)
  const signedSize = cps.length > 0 ? cps[cps.length - 1]!.treeSize : 0
  const treeSize = Math.max(signedSize, input.headSize)

  for (const s of badRows) {
    if (s < treeSize)
      add({
        kind: 'altered',
        seq: s,
        message: `entry ${s} was altered (its content no longer matches its MAC)`,
      })
    else
      add({
        kind: 'inserted',
        seq: s,
        message: `entry ${s} was inserted: it lies beyond the signed log (size ${treeSize}) and is not authentic`,
      })
  }
  const badSet = new Set(badRows)
  for (let e = 0; e < treeSize; e++) {
    if (leaves.has(e) || badSet.has(e)) continue
    add({ kind: 'removed', seq: e, message: `entry ${e} was removed` })
  }
  // Every append signs a checkpoint of the new size: a head beyond the last checkpoint means
  // checkpoint rows were deleted.
  if (input.headSize > signedSize) {
    add({
      kind: 'checkpoint',
      seq: signedSize,
      message: `the log head is at size ${input.headSize} but the latest checkpoint covers ${signedSize} (checkpoints deleted?)`,
    })
  }
  // Authentic entries past the signed size: the tail's checkpoints were deleted.
  for (let e = Math.max(treeSize, signedSize); e <= maxRow; e++) {
    if (leaves.has(e))
      add({
        kind: 'checkpoint',
        seq: e,
        message: `entry ${e} is authentic but not covered by any checkpoint (checkpoints deleted?)`,
      })
  }

  // Rebuild the tree from authentic leaves and check every checkpoint.
  const frontier = new Frontier()
  let verified = 0
  let ci = 0
  let complete = true
  let root: string | undefined
  while (ci < cps.length && cps[ci]!.treeSize === 0) ci++
  for (let e = 0; e < treeSize && ci < cps.length; e++) {
    if (!leaves.has(e)) {
      complete = false
      break
    }
    frontier.append(leaves.get(e))
    while (ci < cps.length && cps[ci]!.treeSize === frontier.size) {
      const cp = cps[ci]!
      const key = input.publicKeys.get(cp.keyId)
      if (!key)
        add({
          kind: 'checkpoint',
          seq: cp.treeSize,
          message: `checkpoint at size ${cp.treeSize}: signing key ${cp.keyId} is unknown`,
        })
      else if (!verifyCheckpoint(key, cp))
        add({
          kind: 'checkpoint',
          seq: cp.treeSize,
          message: `checkpoint at size ${cp.treeSize}: signature is invalid`,
        })
      else if (!frontier.root().equals(cp.root))
        add({
          kind: 'checkpoint',
          seq: cp.treeSize,
          message: `checkpoint at size ${cp.treeSize}: signed root does not match the entries`,
        })
      else verified++
      ci++
    }
  }
  if (complete && frontier.size === treeSize) root = frontier.root().toString('hex')
  for (; ci < cps.length; ci++) {
    const cp = cps[ci]!
    if (!complete) continue // entries missing below it: already named
    add({
      kind: 'checkpoint',
      seq: cp.treeSize,
      message: `checkpoint at size ${cp.treeSize} could not be recomputed`,
    })
  }
  findings.sort((a, b) => a.seq - b.seq)
  return {
    tenant,
    ok: findingCount === 0,
    entries: rows,
    treeSize,
    checkpoints: cps.length,
    checkpointsVerified: verified,
    pruned,
    findings,
    root,
  }
}

/**
 * Fast path first: recompute leaves and roots from the entries (one hash per entry plus the tree)
 * and compare with every signed checkpoint. A log whose rows are exactly 0…n-1 and whose recomputed
 * roots all match their valid signatures is intact — no per-entry MAC needed. Anything else (a gap,
 * an extra row, a root or signature mismatch) runs the full analysis that names each entry.
 */
export async function verifyLog(input: VerifyInput): Promise<VerifyReport> {
  const cps = [...input.checkpoints].sort((a, b) => a.treeSize - b.treeSize)
  const treeSize = cps.reduce((m, c) => Math.max(m, c.treeSize), input.headSize)
  if (input.full || cps.length === 0 || cps[cps.length - 1]!.treeSize !== treeSize) return analyse(input)
  const frontier = new Frontier()
  let ci = 0
  while (ci < cps.length && cps[ci]!.treeSize === 0) ci++
  let rows = 0
  let pruned = 0
  let clean = true
  outer: for await (const page of input.pages({ macs: false })) {
    for (const r of page) {
      if (r.seq !== frontier.size) {
        clean = false
        break outer
      }
      let leaf: Buffer
      if (r.entry === null) {
        pruned++
        leaf = r.leafHash
      } else {
        leaf = leafHash(r.entry)
        // Stored leaf hashes (a cache for proofs) are compared when the page carried them; the
        // full analysis (`verify --full`, or any mismatch) always compares them.
        if (r.leafHash.length > 0 && !leaf.equals(r.leafHash)) {
          clean = false
          break outer
        }
      }
      frontier.append(leaf)
      rows++
      while (ci < cps.length && cps[ci]!.treeSize === frontier.size) {
        const cp = cps[ci]!
        const key = input.publicKeys.get(cp.keyId)
        if (!key || !frontier.root().equals(cp.root) || !verifyCheckpoint(key, cp)) {
          clean = false
          break outer
        }
        ci++
      }
    }
    input.onProgress?.(rows)
  }
  if (!clean || ci !== cps.length || frontier.size !== treeSize) return analyse(input)
  return {
    tenant: input.tenant,
    ok: true,
    entries: rows,
    treeSize,
    checkpoints: cps.length,
    checkpointsVerified: cps.length,
    pruned,
    findings: [],
    root: frontier.root().toString('hex'),
  }
}
