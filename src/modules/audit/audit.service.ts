import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { redactValue, type AuditKeys } from '../crypto/index.js'
import {
  decodeEntry,
  encodeEntry,
  entryMacFactory,
  signCheckpoint,
  type AuditEntry,
  type AuditRecord,
  type Checkpoint,
} from './audit.js'
import { AUDIT_ERRORS, auditError } from './audit.errors.js'
import {
  checkpointAt,
  entriesJson,
  readHead,
  insertCheckpoint,
  insertEntries,
  latestCheckpoint,
  leafHashes,
  listCheckpoints,
  lockHead,
  pageEntries,
  readHeadSize,
  updateHead,
} from './audit.store.js'
import { consistencyProof, Frontier, inclusionProof, leafHash } from './merkle.js'
import { verifyLog, type VerifyReport } from './verify.js'

export interface InclusionProof {
  readonly seq: number
  readonly treeSize: number
  readonly leafHash: Buffer
  readonly proof: readonly Buffer[]
  readonly checkpoint: Checkpoint
}

export interface ConsistencyProof {
  readonly from: number
  readonly to: number
  readonly proof: readonly Buffer[]
  readonly fromCheckpoint: Checkpoint | undefined
  readonly toCheckpoint: Checkpoint
}

export interface StoredAuditEntry {
  readonly seq: number
  /** Undefined once retention pruned the entry (its leaf hash remains). */
  readonly entry: AuditEntry | undefined
  readonly leafHash: Buffer
}

/**
 * The audit log other modules write to:
 *   services.audit.record({ tenant, actor, action, resource, outcome, origin, details })
 * `record` only queues (no I/O on the caller's path); a background flush hashes, MACs, appends in
 * batches and signs a checkpoint per batch. `flush()` waits until everything queued is durable.
 */
export interface Audit {
  record(r: AuditRecord): void
  flush(): Promise<void>
  /** Entries queued but not yet durable. */
  pending(): number
  close(): Promise<void>
  readonly signer: { readonly keyId: string; readonly publicKey: Buffer }
  latestCheckpoint(tenant: string): Promise<Checkpoint | undefined>
  checkpoints(tenant: string): Promise<Checkpoint[]>
  /** Proof that entry `seq` is in the tree of a checkpointed size (default: the latest). */
  inclusionProof(tenant: string, seq: number, treeSize?: number): Promise<InclusionProof>
  /** Proof that the tree of size `from` is a prefix of the checkpointed tree of size `to`. */
  consistencyProof(tenant: string, from: number, to?: number): Promise<ConsistencyProof>
  entries(tenant: string, from: number, limit: number): Promise<StoredAuditEntry[]>
  verify(
    tenant: string,
    opts?: { onProgress?: (rows: number) => void; pageSize?: number; full?: boolean },
  ): Promise<VerifyReport>
  /** Writes a self-contained JSON-lines export (header, entries, checkpoints). */
  export(
    tenant: string,
    write: (line: string) => void | Promise<void>,
    opts?: { from?: number; to?: number },
  ): Promise<{ entries: number; checkpoints: number }>
  /** Retention: drops entry texts older than `before`, keeping leaf hashes and MACs (still verifiable). */
  prune(tenant: string, before: Date): Promise<number>
  /** Applies `retentionDays` to every tenant. */
  applyRetention(): Promise<number>
  tenants(): Promise<string[]>
}

export interface AuditDeps {
  readonly db: Db
  readonly clock: Clock
  readonly keys: AuditKeys
  readonly logger?: Logger | undefined
  /** Entries per append transaction (default 2,000). */
  readonly batchMax?: number
  /** Longest time an entry waits in the queue (default 25 ms). */
  readonly flushMs?: number
  /** Entry texts older than this are pruned by applyRetention (default: keep forever). */
  readonly retentionDays?: number | undefined
}

interface Queued extends AuditRecord {
  readonly ts: string
}

const IDENT_MAX = 512

function validate(r: AuditRecord): void {
  for (const k of ['tenant', 'actor', 'action', 'resource', 'origin'] as const) {
    const v = r[k]
    // NUL cannot be stored in a PostgreSQL text column: refused here, not as a poison entry in the queue.
    if (typeof v !== 'string' || v.length === 0 || v.length > IDENT_MAX || v.includes('\u0000')) {
      throw auditError(
        AUDIT_ERRORS.INVALID_RECORD,
        'invalid',
        `Audit record field "${k}" must be a non-empty string of at most ${IDENT_MAX} characters, without NUL.`,
      )
    }
  }
  if (r.outcome !== 'success' && r.outcome !== 'failure' && r.outcome !== 'denied') {
    throw auditError(
      AUDIT_ERRORS.INVALID_RECORD,
      'invalid',
      'Audit outcome must be success, failure or denied.',
    )
  }
}

export function createAudit(deps: AuditDeps): Audit {
  const { db, clock, keys } = deps
  const batchMax = deps.batchMax ?? 2000
  const flushMs = deps.flushMs ?? 25
  let queue: Queued[] = []
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closed = false
  let inFlight = 0
  const entryMac = entryMacFactory(keys.macKey)

  /** A tenant's part of a batch, hashed, MAC'd and signed against an assumed head. */
  interface PreparedTenant {
    readonly base: { treeSize: number; frontier: Buffer }
    readonly head: { treeSize: number; frontier: Buffer }
    readonly chunks: string[]
    readonly checkpoint: Checkpoint
  }
  /** Heads as this process last wrote them (or will, once the batch in flight commits). */
  const knownHeads = new Map<string, { treeSize: number; frontier: Buffer }>()

  function groupByTenant(batch: readonly Queued[]): Map<string, Queued[]> {
    const byTenant = new Map<string, Queued[]>()
    for (const q of batch) {
      let list = byTenant.get(q.tenant)
      if (!list) byTenant.set(q.tenant, (list = []))
      list.push(q)
    }
    return byTenant
  }

  const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  /** Hashes, MACs and signs in slices, yielding so the transaction in flight keeps moving. */
  async function prepareTenant(
    tenant: string,
    items: readonly Queued[],
    base: { treeSize: number; frontier: Buffer },
    at: Date,
    slices: boolean,
  ): Promise<PreparedTenant> {
    const frontier = Frontier.decode(base.treeSize, base.frontier)
    const rows: { seq: number; entry: string; leaf: Buffer; mac: Buffer; at: string }[] = []
    for (let i = 0; i < items.length; i++) {
      if (slices && i > 0 && i % 500 === 0) await yieldToIo()
      const q = items[i]!
      const seq = base.treeSize + i
      const entry = encodeEntry({ ...q, seq })
      const leaf = leafHash(entry)
      frontier.append(leaf)
      rows.push({ seq, entry, leaf, mac: entryMac(tenant, seq, leaf), at: q.ts })
    }
    return {
      base,
      head: { treeSize: frontier.size, frontier: frontier.encode() },
      chunks: entriesJson(rows),
      checkpoint: signCheckpoint(
        keys.signingKey,
        keys.keyId,
        tenant,
        frontier.size,
        frontier.root(),
        at.toISOString(),
      ),
    }
  }

  type Prepared = { at: Date; tenants: Map<string, { items: Queued[]; prepared: PreparedTenant }> }

  /**
   * CPU work for a batch, done before its transaction — and, sliced, while the previous batch's
   * transaction is in the database — against the head this process expects (the one its previous
   * batch will leave, or the stored one). The transaction checks the real head under its lock and
   * recomputes when another process appended in between.
   */
  async function prepareBatch(batch: readonly Queued[]): Promise<Prepared> {
    const at = clock.now()
    if (knownHeads.size > 10_000) knownHeads.clear() // bounded memory with very many tenants
    const tenants = new Map<string, { items: Queued[]; prepared: PreparedTenant }>()
    for (const [tenant, items] of groupByTenant(batch)) {
      const base = knownHeads.get(tenant) ?? (await readHead(db, tenant))
      const prepared = await prepareTenant(tenant, items, base, at, true)
      knownHeads.set(tenant, prepared.head) // the next batch builds on this one
      tenants.set(tenant, { items, prepared })
    }
    return { at, tenants }
  }

  async function commitBatch(p: Prepared): Promise<void> {
    await db.transaction().execute(async (trx) => {
      // Heads are locked in a fixed order so concurrent appenders never deadlock.
      for (const tenant of [...p.tenants.keys()].sort()) {
        const { items, prepared } = p.tenants.get(tenant)!
        const head = await lockHead(trx, tenant, p.at)
        const fits = prepared.base.treeSize === head.treeSize && prepared.base.frontier.equals(head.frontier)
        const use = fits ? prepared : await prepareTenant(tenant, items, head, p.at, false)
        await insertEntries(trx, tenant, use.chunks)
        await updateHead(trx, tenant, use.head, p.at)
        await insertCheckpoint(trx, use.checkpoint)
        if (!fits) knownHeads.delete(tenant) // another process appended: re-read before predicting again
      }
    })
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      // Take everything queued so far (O(1)); new records go to a fresh array meanwhile.
      const taken = queue
      queue = []
      // Pipeline: batch k+1 is prepared while batch k's transaction runs; commits stay in order.
      const batches = Math.ceil(taken.length / batchMax)
      let inDb: Promise<void> | undefined
      let inDbFrom = 0
      try {
        inFlight = taken.length
        let next: Prepared | undefined = await prepareBatch(taken.slice(0, batchMax))
        for (let b = 0; b < batches; b++) {
          if (inDb) await inDb
          inDbFrom = b * batchMax
          inFlight = taken.length - inDbFrom
          inDb = commitBatch(next!)
          inDb.catch(() => undefined) // awaited below; not unhandled meanwhile
          next =
            b + 1 < batches
              ? await prepareBatch(taken.slice((b + 1) * batchMax, (b + 2) * batchMax))
              : undefined
        }
        if (inDb) await inDb
      } catch (err) {
        knownHeads.clear() // predictions built on a failed batch are void
        // The batch in the database may still commit (when preparing the next one failed): settle it
        // first, so that nothing is written twice or dropped.
        let from = inDbFrom
        if (inDb) {
          try {
            await inDb
            from = inDbFrom + batchMax
          } catch {
            // it failed too: retry it
          }
        }
        queue = [...taken.slice(from), ...queue] // never drop an audit entry: retry on the next flush
        throw err
      } finally {
        inFlight = 0
      }
    }
  }

  function run(): Promise<void> {
    if (timer) {
      clearTimeout(timer)
      timer = undefined
    }
    running ??= drain().finally(() => {
      running = undefined
      if (queue.length > 0 && !closed) schedule()
    })
    return running
  }

  function schedule(): void {
    if (timer || running) return
    timer = setTimeout(
      () => {
        timer = undefined
        run().catch((err: unknown) => deps.logger?.error({ err }, 'audit: append failed; will retry'))
      },
      queue.length >= batchMax ? 0 : flushMs,
    )
    timer.unref()
  }

  async function flush(): Promise<void> {
    while (running || queue.length > 0) {
      if (running) await running
      else await run()
    }
  }

  async function requireCheckpoint(tenant: string, size?: number): Promise<Checkpoint> {
    const cp = size === undefined ? await latestCheckpoint(db, tenant) : await checkpointAt(db, tenant, size)
    if (!cp) {
      throw auditError(
        AUDIT_ERRORS.NO_CHECKPOINT,
        'not_found',
        size === undefined
          ? `Tenant ${tenant} has no audit checkpoint yet.`
          : `No signed checkpoint at tree size ${size}; use the size of a published checkpoint.`,
      )
    }
    return cp
  }

  async function leavesFor(tenant: string, size: number): Promise<Buffer[]> {
    const leaves = await leafHashes(db, tenant, size)
    if (leaves.length !== size) {
      throw auditError(
        AUDIT_ERRORS.BAD_RANGE,
        'unavailable',
        `Audit log of ${tenant} is missing entry ${leaves.length}; run \`moneta audit verify\`.`,
      )
    }
    return leaves
  }

  return {
    record(r) {
      if (closed) throw auditError(AUDIT_ERRORS.INVALID_RECORD, 'unavailable', 'The audit log is closed.')
      validate(r)
      const ts = clock.now().toISOString()
      queue.push(
        r.details === undefined
          ? { ...r, ts }
          : { ...r, details: redactValue(r.details) as Record<string, unknown>, ts },
      )
      schedule()
    },
    flush,
    pending: () => queue.length + inFlight,
    async close() {
      await flush()
      closed = true
      if (timer) clearTimeout(timer)
    },
    signer: { keyId: keys.keyId, publicKey: keys.publicKeyRaw },
    latestCheckpoint: (tenant) => latestCheckpoint(db, tenant),
    checkpoints: (tenant) => listCheckpoints(db, tenant),
    async inclusionProof(tenant, seq, treeSize) {
      const checkpoint = await requireCheckpoint(tenant, treeSize)
      if (!Number.isInteger(seq) || seq < 0 || seq >= checkpoint.treeSize) {
        throw auditError(
          AUDIT_ERRORS.BAD_RANGE,
          'invalid',
          `seq must be a whole number from 0 to ${checkpoint.treeSize - 1}.`,
        )
      }
      const leaves = await leavesFor(tenant, checkpoint.treeSize)
      return {
        seq,
        treeSize: checkpoint.treeSize,
        leafHash: leaves[seq]!,
        proof: inclusionProof(leaves, seq, checkpoint.treeSize),
        checkpoint,
      }
    },
    async consistencyProof(tenant, from, to) {
      const toCheckpoint = await requireCheckpoint(tenant, to)
      if (!Number.isInteger(from) || from < 0 || from > toCheckpoint.treeSize) {
        throw auditError(
          AUDIT_ERRORS.BAD_RANGE,
          'invalid',
          `from must be a whole number from 0 to ${toCheckpoint.treeSize}.`,
        )
      }
      const leaves = await leavesFor(tenant, toCheckpoint.treeSize)
      return {
        from,
        to: toCheckpoint.treeSize,
        proof: consistencyProof(leaves, from, toCheckpoint.treeSize),
        fromCheckpoint: await checkpointAt(db, tenant, from),
        toCheckpoint,
      }
    },
    async entries(tenant, from, limit) {
      const out: StoredAuditEntry[] = []
      for await (const page of pageEntries(db, tenant, Math.min(limit, 1000), from)) {
        for (const r of page) {
          if (out.length >= limit) return out
          out.push({
            seq: r.seq,
            entry: r.entry === null ? undefined : decodeEntry(r.entry),
            leafHash: r.leafHash,
          })
        }
        if (out.length >= limit) break
      }
      return out
    },
    async verify(tenant, opts = {}) {
      const checkpoints = await listCheckpoints(db, tenant)
      const headSize = await readHeadSize(db, tenant)
      return verifyLog({
        tenant,
        macKey: keys.macKey,
        publicKeys: new Map([[keys.keyId, keys.publicKey]]),
        checkpoints,
        headSize,
        pages: ({ macs }) => pageEntries(db, tenant, opts.pageSize ?? 2000, undefined, undefined, { macs }),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.full ? { full: true } : {}),
      })
    },
    async export(tenant, write, opts = {}) {
      const cps = await listCheckpoints(db, tenant)
      await write(
        JSON.stringify({
          type: 'header',
          format: 'moneta-audit-export/v1',
          tenant,
          signer: {
            keyId: keys.keyId,
            publicKey: keys.publicKeyRaw.toString('base64'),
            algorithm: 'ed25519',
          },
          hashing: 'rfc6962-sha256',
          exportedAt: clock.now().toISOString(),
        }),
      )
      let n = 0
      for await (const page of pageEntries(db, tenant, 10_000, opts.from ?? 0, opts.to)) {
        for (const r of page) {
          await write(
            JSON.stringify({
              type: 'entry',
              seq: r.seq,
              leafHash: r.leafHash.toString('hex'),
              entry: r.entry,
            }),
          )
          n++
        }
      }
      for (const cp of cps) {
        await write(
          JSON.stringify({
            type: 'checkpoint',
            treeSize: cp.treeSize,
            root: cp.root.toString('hex'),
            signedAt: cp.signedAt,
            keyId: cp.keyId,
            signature: cp.signature.toString('base64'),
          }),
        )
      }
      return { entries: n, checkpoints: cps.length }
    },
    async prune(tenant, before) {
      const r = await sql`
        UPDATE audit_entries SET entry = NULL WHERE tenant_id = ${tenant} AND created_at < ${before} AND entry IS NOT NULL`.execute(
        db,
      )
      return Number(r.numAffectedRows ?? 0n)
    },
    async applyRetention() {
      if (deps.retentionDays === undefined) return 0
      const before = new Date(clock.now().getTime() - deps.retentionDays * 86_400_000)
      const r =
        await sql`UPDATE audit_entries SET entry = NULL WHERE created_at < ${before} AND entry IS NOT NULL`.execute(
          db,
        )
      return Number(r.numAffectedRows ?? 0n)
    },
    async tenants() {
      const r = await sql<{ tenant_id: string }>`
        SELECT tenant_id FROM audit_heads UNION SELECT DISTINCT tenant_id FROM audit_checkpoints ORDER BY 1`.execute(
        db,
      )
      return r.rows.map((x) => x.tenant_id)
    },
  }
}
