import { sign, verify, timingSafeEqual, type KeyObject } from 'node:crypto'
import { hmacSeqHash, hmacSha256Factory } from './hash.js'

export type AuditOutcome = 'success' | 'failure' | 'denied'

/** What callers hand to `audit.record(…)`. */
export interface AuditRecord {
  readonly tenant: string
  /** Who: `apikey:key_…`, `operator:op_…`, `system`, `cli`. */
  readonly actor: string
  /** What: `module.entity.verb`, e.g. `auth.session.create`, `payments.intent.capture`. */
  readonly action: string
  /** On what: an id or `table:id`. */
  readonly resource: string
  readonly outcome: AuditOutcome
  /** From where: client IP, `cli`, `worker`. */
  readonly origin: string
  /** Extra facts (redacted: secrets, tokens, PANs and personal fields never reach the log). */
  readonly details?: Readonly<Record<string, unknown>> | undefined
}

export interface AuditEntry extends AuditRecord {
  readonly seq: number
  /** ISO-8601 time the action was recorded. */
  readonly ts: string
}

export interface Checkpoint {
  readonly tenant: string
  readonly treeSize: number
  readonly root: Buffer
  readonly signedAt: string
  readonly keyId: string
  readonly signature: Buffer
}

function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(canonical)
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k]
    if (v !== undefined) out[k] = canonical(v)
  }
  return out
}

/**
 * The exact bytes hashed into the tree: JSON with a fixed key order, `seq` first (verification
 * reads it back without a full parse), details with sorted keys. Stored as text, verbatim.
 */
export function encodeEntry(e: AuditEntry): string {
  const fixed: Record<string, unknown> = {
    seq: e.seq,
    ts: e.ts,
    tenant: e.tenant,
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    outcome: e.outcome,
    origin: e.origin,
  }
  if (e.details !== undefined) fixed.details = canonical(e.details)
  return JSON.stringify(fixed)
}

/** The `seq` an encoded entry claims, or -1 when it does not start like one of ours. */
export function claimedSeq(encoded: string): number {
  if (!encoded.startsWith('{"seq":')) return -1
  let i = 7
  let n = 0
  for (; i < encoded.length && i < 24; i++) {
    const c = encoded.charCodeAt(i) - 48
    if (c < 0 || c > 9) break
    n = n * 10 + c
  }
  return i > 7 && encoded[i] === ',' ? n : -1
}

export function decodeEntry(encoded: string): AuditEntry {
  return JSON.parse(encoded) as AuditEntry
}

/**
 * Binds a leaf to its tenant and position under a key held outside the database, so that an
 * edit, a move or an insertion made directly in SQL is named entry by entry:
 *   tenantKey = HMAC-SHA256(macKey, "moneta/audit/v1|" ‖ tenant)
 *   mac       = HMAC-SHA256(tenantKey, seq as uint64 BE ‖ leaf)
 */
export function entryMacFactory(macKey: Buffer): (tenant: string, seq: number, leaf: Buffer) => Buffer {
  const derive = hmacSha256Factory(macKey)
  const perTenant = new Map<string, (seq: number, leaf: Buffer) => Buffer>()
  return (tenant, seq, leaf) => {
    let f = perTenant.get(tenant)
    if (!f) {
      if (perTenant.size > 10_000) perTenant.clear()
      f = hmacSeqHash(derive([`moneta/audit/v1|${tenant}`]))
      perTenant.set(tenant, f)
    }
    if (leaf.length !== 32) throw new Error('leaf hashes are 32 bytes')
    return f(seq, leaf)
  }
}

export function entryMac(macKey: Buffer, tenant: string, seq: number, leaf: Buffer): Buffer {
  return entryMacFactory(macKey)(tenant, seq, leaf)
}

export const macEquals = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

/** The signed text of a checkpoint (a C2SP-style note body). */
export function checkpointBody(tenant: string, treeSize: number, root: Buffer, signedAt: string): string {
  return `moneta-audit/v1\ntenant ${tenant}\nsize ${treeSize}\nroot ${root.toString('base64')}\ntime ${signedAt}\n`
}

export function signCheckpoint(
  key: KeyObject,
  keyId: string,
  tenant: string,
  treeSize: number,
  root: Buffer,
  signedAt: string,
): Checkpoint {
  const signature = sign(null, Buffer.from(checkpointBody(tenant, treeSize, root, signedAt)), key)
  return { tenant, treeSize, root, signedAt, keyId, signature }
}

export function verifyCheckpoint(publicKey: KeyObject, cp: Checkpoint): boolean {
  try {
    return verify(
      null,
      Buffer.from(checkpointBody(cp.tenant, cp.treeSize, cp.root, cp.signedAt)),
      publicKey,
      cp.signature,
    )
  } catch {
    return false
  }
}
