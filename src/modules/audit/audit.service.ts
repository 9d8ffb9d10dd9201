import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { redactValue, type AuditKeys } from '../crypto/index.js'
import { GroupCommit } from '../../shared/group-commit.js'
import { decodeEntry, type AuditEntry, type AuditRecord, type Checkpoint } from './audit.js'
import { AUDIT_ERRORS, auditError } from './audit.errors.js'
import { createAppender } from './appender.js'
import {
  checkpointAt,
  latestCheckpoint,
  leafHashes,
  listCheckpoints,
  pageEntries,
  readHeadSize,
} from './audit.store.js'
import { IntakeWatermark } from './intake-watermark.js'
import { insertIntake, intakeCount, intakeHigh, intakeWaiting, type IntakeRecord } from './intake.store.js'
import { consistencyProof, inclusionProof } from './merkle.js'
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
 * The audit log other modules write to. An entry is durable WITH the change it describes (ADR 0211):
 *
 *   await audit.recordIn(tx, record)   // inside the change's own transaction: committed or rolled back with it
 *   await audit.record(record)         // no transaction of yours: resolves once the entry is durable
 *
 * Both write a row to `audit_intake`; the appender moves rows, in order and exactly once, into the
 * per-tenant Merkle log (hash, MAC, signed checkpoint). On the HTTP edge every `record()` submitted
 * while a request ran is awaited before its response is sent (`submitted()` / `durableSince()`, ADR
 * 0212), so a caller that does not await is still never acknowledged ahead of its entry. `flush()`
 * returns once everything recorded so far (by any process) is in the Merkle log.
 */
export interface Audit {
  record(r: AuditRecord): Promise<void>
  recordIn(tx: Db, r: AuditRecord): Promise<void>
  /** Several entries in the change's transaction with one statement (a batch that touches many resources). */
  recordAllIn(tx: Db, rs: readonly AuditRecord[]): Promise<void>
  /** `record()` writes this process has submitted so far: a mark for `durableSince`. */
  submitted(): number
  /**
   * Resolves once every `record()` this process submitted up to now is durable; rejects with
   * AUDIT_UNAVAILABLE if any submitted after `mark` failed — anyone's, not only the caller's (ADR
   * 0212). Nothing submitted since `mark`: resolves at once, waiting for nobody.
   */
  durableSince(mark: number): Promise<void>
  flush(): Promise<void>
  /** Records in the intake, not yet in the Merkle log (all processes). */
  pending(): Promise<number>
  /** Background appender: resumes what a crashed process left, picks up other processes' records. */
  start(): void
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
  /** Delay between a record's commit and its append (default 25 ms). */
  readonly flushMs?: number
  /** Background appender poll once `start()`ed (default 1 s). */
  readonly pollMs?: number
  /** Entry texts older than this are pruned by applyRetention (default: keep forever). */
  readonly retentionDays?: number | undefined
}

const IDENT_MAX = 512

function validate(r: AuditRecord): void {
  for (const k of ['tenant', 'actor', 'action', 'resource', 'origin'] as const) {
    const v = r[k]
    // NUL cannot be stored in a PostgreSQL text column: refused here, not as a poison row in the intake.
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
  const pollMs = deps.pollMs ?? 1000
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let poll: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const watermark = new IntakeWatermark()
  const append = createAppender({ db, keys, now: () => clock.now() })

  /** Validated, redacted and stamped: what the intake stores (never a secret, PAN or personal field). */
  function stamp(r: AuditRecord): IntakeRecord {
    if (closed) throw auditError(AUDIT_ERRORS.UNAVAILABLE, 'unavailable', 'The audit log is closed.')
    validate(r)
    const ts = clock.now().toISOString()
    return r.details === undefined
      ? { ...r, ts }
      : { ...r, details: redactValue(r.details) as Record<string, unknown>, ts }
  }

  // record() outside a caller's transaction: one INSERT for every record of the moment.
  const intake = new GroupCommit<IntakeRecord, void>({
    maxBatch: 5000,
    maxInFlight: 2,
    closedMessage: 'The audit log is closed.',
    async send(records) {
      try {
        await insertIntake(db, records)
      } catch (err) {
        throw auditError(
          AUDIT_ERRORS.UNAVAILABLE,
          'unavailable',
          'The audit log could not be written; retry.',
          err,
        )
      }
      schedule()
      return records.map(() => undefined)
    },
  })

  /** Drains the intake until empty (background) — one append transaction per batch. */
  async function drain(wait: boolean): Promise<void> {
    for (;;) {
      const r = await append({ wait, limit: batchMax })
      if (r === 'busy' || r.appended < batchMax) return
    }
  }

  function run(): Promise<void> {
    if (timer) {
      clearTimeout(timer)
      timer = undefined
    }
    running ??= drain(false).finally(() => (running = undefined))
    return running
  }

  /** An append soon (records just committed here, or a caller's transaction about to commit). */
  function schedule(): void {
    if (timer || closed) return
    timer = setTimeout(() => {
      timer = undefined
      run().catch((err: unknown) => deps.logger?.error({ err }, 'audit: append failed; will retry'))
    }, flushMs)
    timer.unref()
  }

  async function flush(): Promise<void> {
    await intake.idle() // record() calls of this process reach the intake first
    // Everything committed to the intake up to now must be in the log (other processes included).
    const upTo = await intakeHigh(db)
    if (upTo === 0n) return
    while (await intakeWaiting(db, upTo)) {
      if (running) await running.catch(() => undefined)
      // Waits for another process's appender rather than skipping.
      await append({ wait: true, limit: batchMax })
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
      const write = intake.submit(stamp(r))
      watermark.track(write)
      // A caller outside a request may not await it: its failure is logged, never an unhandled
      // rejection that ends the process (a caller that awaits still gets the error).
      write.catch((err: unknown) => deps.logger?.error({ err }, 'audit: an entry could not be written'))
      return write
    },
    async recordIn(tx, r) {
      await insertIntake(tx, [stamp(r)])
      schedule()
    },
    async recordAllIn(tx, rs) {
      if (rs.length === 0) return
      await insertIntake(tx, rs.map(stamp))
      schedule()
    },
    submitted: () => watermark.submitted(),
    async durableSince(mark) {
      if (await watermark.settledSince(mark)) return
      throw auditError(
        AUDIT_ERRORS.UNAVAILABLE,
        'unavailable',
        'An audit entry recorded meanwhile could not be written; retry.',
      )
    },
    flush,
    pending: () => intakeCount(db),
    start() {
      if (poll || closed) return
      // Resumes what a crashed process left in the intake, and picks up other processes' records.
      poll = setInterval(() => {
        run().catch((err: unknown) => deps.logger?.error({ err }, 'audit: append failed; will retry'))
      }, pollMs)
      poll.unref()
      run().catch((err: unknown) => deps.logger?.error({ err }, 'audit: append failed; will retry'))
    },
    async close() {
      if (poll) clearInterval(poll)
      poll = undefined
      await flush()
      closed = true
      await intake.close()
      if (timer) clearTimeout(timer)
      if (running) await running.catch(() => undefined)
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
