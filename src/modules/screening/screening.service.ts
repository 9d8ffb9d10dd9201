import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { AppError } from '../../shared/errors.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { Outbox } from '../events/index.js'
import { DEFAULT_PARAMS, DEFAULT_THRESHOLD, ScreeningIndex } from './matcher.js'
import { normalizeName } from './normalize.js'
import { parseListSource, type ListSource } from './loaders/source.js'
import { batchTooLarge, emptyName, entryNotFound, subjectNotFound } from './screening.errors.js'
import {
  entryFingerprint,
  type Hit,
  type ListEntry,
  type ListFormat,
  type ParsedList,
  type ScreeningQuery,
} from './screening.js'
import { SCREENING_EVENTS } from './screening.events.js'
import {
  createScreeningStore,
  type AlertInsert,
  type EntryChange,
  type SnapshotRow,
  type ScreeningStore,
} from './screening.store.js'

export interface ScreeningDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger
  /** Alert threshold (default DEFAULT_THRESHOLD). */
  readonly threshold?: number
  /** When set, list imports, alerts and decisions are published as events in their own transaction. */
  readonly outbox?: Outbox
  /** The party a subject id belongs to (parties screen one subject per name), carried as `partyId` on alert events. */
  readonly subjectOwner?: (subjectId: string) => string | undefined
}

export interface ImportResult {
  readonly listId: string
  readonly snapshotId: string | null
  /** True when the file is byte-identical to the active snapshot: nothing was written. */
  readonly unchanged: boolean
  readonly entryCount: number
  readonly added: number
  readonly removed: number
  readonly changed: number
  readonly warnings: readonly string[]
  readonly rescreen?: RescreenResult
}

export interface RescreenResult {
  readonly subjects: number
  readonly entries: number
  readonly hits: number
  readonly alertsCreated: number
  readonly suppressed: number
}

export interface CheckOptions {
  /** A customer or counterparty id: the result is remembered, decisions apply, hits become alerts. */
  readonly subjectId?: string
  readonly threshold?: number
  readonly limit?: number
  /**
   * The caller's transaction: the remembered subject and its alerts (with their events) commit with the
   * caller's change (a party onboarded and screened in one transaction).
   */
  readonly tx?: Db | undefined
}

export interface CheckHit extends Hit {
  /** An analyst cleared this pair and neither side has changed since. */
  readonly suppressedBy?: string
}

export interface CheckResult {
  readonly hits: readonly CheckHit[]
  readonly suppressed: readonly CheckHit[]
  readonly alertsCreated: number
  readonly listsLoaded: number
  readonly threshold: number
}

export interface DecisionInput {
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly decision: 'not_a_match' | 'true_match'
  readonly analyst: string
  readonly reason: string
}

export interface Screening {
  /** Parses a list source (rejecting malformed files before anything is written), stores it as a
   *  snapshot with its diff, activates it and rescreens every subject against added/changed entries. */
  importList(
    tenantId: string,
    source: ListSource,
    opts?: {
      format?: ListFormat
      /** Called once the file is parsed (before anything is written). */
      onParsed?: (entries: number) => void
      onProgress?: (done: number, total: number) => void
      rescreen?: boolean
    },
  ): Promise<ImportResult>
  /** Stores an already parsed list (tests, URL downloads). */
  importParsed(
    tenantId: string,
    parsed: ParsedList,
    meta: { source: string; sha256: string },
    opts?: { rescreen?: boolean; onProgress?: (done: number, total: number) => void },
  ): Promise<ImportResult>
  listStatus(tenantId: string): Promise<readonly SnapshotRow[]>
  check(tenantId: string, query: ScreeningQuery, opts?: CheckOptions): Promise<CheckResult>
  checkBatch(
    tenantId: string,
    queries: readonly (ScreeningQuery & { subjectId?: string })[],
  ): Promise<CheckResult[]>
  recordDecision(tenantId: string, input: DecisionInput): Promise<{ decisionId: string }>
  rescreen(tenantId: string, snapshotId: string): Promise<RescreenResult>
  /** Builds the tenant's index now (a server calls it at start so the first check is not slow). */
  warm(tenantId: string): Promise<{ entries: number }>
  /** Alerts raised on a subject (or the tenant), read in `tx` when given (alerts it has not committed yet). */
  alerts(tenantId: string, subjectId?: string, tx?: Db): Promise<Record<string, unknown>[]>
  auditTrail(tenantId: string, subjectId: string): Promise<Record<string, unknown>[]>
}

export const MAX_BATCH = 1000

interface TenantIndex {
  readonly version: string
  readonly index: ScreeningIndex
  readonly hashes: Map<string, string>
}

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex')

/** The identity of a list source's content: SHA-256 over its files (names and bytes, in name order). */
export function sourceDigest(source: ListSource): string {
  const digest = createHash('sha256')
  for (const [name, buf] of [...source.files.entries()].sort((a, b) => a[0].localeCompare(b[0])))
    digest.update(name).update(buf)
  return digest.digest('hex')
}

/** What makes a subject "changed" for the false-positive memory: its normalised screened fields. */
export function subjectFingerprint(q: ScreeningQuery): string {
  return sha256(
    JSON.stringify([
      normalizeName(q.name, q.type ?? 'unknown').text,
      q.type ?? 'unknown',
      q.dob ?? '',
      [...(q.countries ?? [])].sort(),
      [...(q.identifiers ?? [])].sort(),
      [...(q.cryptoAddresses ?? [])].sort(),
    ]),
  )
}

export function createScreening(deps: ScreeningDeps): Screening {
  const store: ScreeningStore = createScreeningStore(deps.db)
  const threshold = deps.threshold ?? DEFAULT_THRESHOLD
  const cache = new Map<string, TenantIndex>()
  const partyOf = (subjectId: string): { partyId?: string } => {
    const partyId = deps.subjectOwner?.(subjectId)
    return partyId ? { partyId } : {}
  }

  /** The tenant's matcher; `tx` when called inside a caller's transaction (PGlite has one connection). */
  async function indexFor(tenantId: string, tx: Db = deps.db): Promise<TenantIndex> {
    const active = await store.activeSnapshots(tenantId, tx)
    const version = [...active.entries()]
      .sort()
      .map((x) => x.join('='))
      .join(',')
    const cached = cache.get(tenantId)
    if (cached && cached.version === version) return cached
    const index = new ScreeningIndex(DEFAULT_PARAMS)
    const hashes = new Map<string, string>()
    for (const { entry, hash } of await store.activeEntries(tenantId, tx)) {
      index.add(entry)
      hashes.set(`${entry.listId}/${entry.key}`, hash)
    }
    index.build()
    const t: TenantIndex = { version, index, hashes }
    cache.set(tenantId, t)
    return t
  }

  function validateQuery(q: ScreeningQuery): void {
    if (
      normalizeName(q.name, q.type ?? 'unknown').tokens.length === 0 &&
      !q.identifiers?.length &&
      !q.cryptoAddresses?.length
    ) {
      throw emptyName()
    }
    if (q.dob && !/^\d{4}(-\d{1,2}(-\d{1,2})?)?$/.test(q.dob)) {
      throw new AppError(
        'SCREENING_DOB_INVALID',
        'invalid',
        `dob "${q.dob}" must be YYYY, YYYY-MM or YYYY-MM-DD.`,
      )
    }
  }

  async function screenSubject(
    tenantId: string,
    t: TenantIndex,
    index: ScreeningIndex,
    subjectId: string,
    query: ScreeningQuery,
    fingerprint: string,
    source: 'screen' | 'rescreen',
    opts: { threshold?: number; limit?: number; tx?: Db | undefined },
  ): Promise<{ hits: CheckHit[]; suppressed: CheckHit[]; alertsCreated: number }> {
    const raw = index.screen(query, { threshold: opts.threshold ?? threshold, limit: opts.limit ?? 10 })
    if (raw.length === 0) return { hits: [], suppressed: [], alertsCreated: 0 }
    const cleared = await store.suppressedPairs(tenantId, subjectId, fingerprint, opts.tx)
    const hits: CheckHit[] = []
    const suppressed: CheckHit[] = []
    for (const h of raw) {
      const k = `${h.listId}/${h.entryKey}`
      const clearedHash = cleared.get(k)
      if (clearedHash !== undefined && clearedHash === t.hashes.get(k))
        suppressed.push({ ...h, suppressedBy: 'not_a_match' })
      else hits.push(h)
    }
    const alerts: AlertInsert[] = hits.map((h) => ({
      alertId: deps.ids('sca'),
      subjectId,
      listId: h.listId,
      entryKey: h.entryKey,
      entryHash: t.hashes.get(`${h.listId}/${h.entryKey}`) ?? '',
      subjectFingerprint: fingerprint,
      score: h.score,
      explanation: h.explanation,
      source,
    }))
    const outbox = deps.outbox
    const inTx = <T>(fn: (tx: Db) => Promise<T>): Promise<T> =>
      opts.tx ? fn(opts.tx) : deps.db.transaction().execute(fn)
    const created = !outbox
      ? await store.insertAlerts(opts.tx ?? deps.db, tenantId, alerts, deps.clock.now())
      : await inTx(async (tx) => {
          const ids = await store.insertAlerts(tx, tenantId, alerts, deps.clock.now())
          await outbox.enqueue(
            tx,
            alerts
              .filter((a) => ids.has(a.alertId))
              .map((a) => ({
                topic: SCREENING_EVENTS.alertCreated,
                key: a.subjectId,
                tenantId,
                payload: {
                  alertId: a.alertId,
                  subjectId: a.subjectId,
                  listId: a.listId,
                  entryKey: a.entryKey,
                  score: a.score,
                  source: a.source,
                  summary: a.explanation.summary,
                  ...partyOf(a.subjectId),
                },
              })),
          )
          return ids
        })
    return { hits, suppressed, alertsCreated: created.size }
  }

  const service: Screening = {
    async importList(tenantId, source, opts = {}) {
      const parsed = parseListSource(source, opts.format)
      opts.onParsed?.(parsed.entries.length)
      return service.importParsed(
        tenantId,
        parsed,
        { source: source.name, sha256: sourceDigest(source) },
        opts,
      )
    },

    async importParsed(tenantId, parsed, meta, opts = {}) {
      const latest = await store.latestSnapshot(tenantId, parsed.listId)
      if (latest && latest.sha256 === meta.sha256) {
        return {
          listId: parsed.listId,
          snapshotId: latest.snapshotId,
          unchanged: true,
          entryCount: latest.entryCount,
          added: 0,
          removed: 0,
          changed: 0,
          warnings: parsed.warnings,
        }
      }
      const snapshotId = deps.ids('scs')
      const now = deps.clock.now()
      const result = await deps.db.transaction().execute(async (tx) => {
        const current = await store.currentHashes(tx, tenantId, parsed.listId)
        const changes: EntryChange[] = []
        const seen = new Set<string>()
        let i = 0
        for (const entry of parsed.entries) {
          seen.add(entry.key)
          const hash = sha256(entryFingerprint(entry))
          const prev = current.get(entry.key)
          if (prev === undefined)
            changes.push({ entryKey: entry.key, change: 'added', contentHash: hash, entry })
          else if (prev !== hash)
            changes.push({ entryKey: entry.key, change: 'changed', contentHash: hash, entry })
          if (++i % 1000 === 0) opts.onProgress?.(i, parsed.entries.length)
        }
        for (const [key, hash] of current) {
          if (seen.has(key)) continue
          // The store copies the entry's last content into the diff.
          const removed: ListEntry = {
            listId: parsed.listId,
            key,
            type: 'unknown',
            names: [],
            dobs: [],
            countries: [],
            identifiers: [],
            cryptoAddresses: [],
            programs: [],
          }
          changes.push({ entryKey: key, change: 'removed', contentHash: hash, entry: removed })
        }
        const count = (c: EntryChange['change']): number => changes.filter((x) => x.change === c).length
        const snap: SnapshotRow = {
          snapshotId,
          listId: parsed.listId,
          format: parsed.format,
          source: meta.source,
          sha256: meta.sha256,
          entryCount: parsed.entries.length,
          added: count('added'),
          removed: count('removed'),
          changed: count('changed'),
          importedAt: now,
        }
        await store.writeSnapshot(tx, tenantId, snap, changes)
        await deps.outbox?.enqueue(tx, [
          {
            topic: SCREENING_EVENTS.listImported,
            key: snap.listId,
            tenantId,
            payload: {
              snapshotId,
              listId: snap.listId,
              format: snap.format,
              sha256: snap.sha256,
              entryCount: snap.entryCount,
              added: snap.added,
              removed: snap.removed,
              changed: snap.changed,
            },
          },
        ])
        await store.audit(tx, tenantId, {
          auditId: deps.ids('sau'),
          action: 'list.imported',
          actor: 'system',
          listId: parsed.listId,
          details: {
            snapshotId,
            source: meta.source,
            sha256: meta.sha256,
            added: snap.added,
            removed: snap.removed,
            changed: snap.changed,
          },
          at: now,
        })
        return snap
      })
      opts.onProgress?.(parsed.entries.length, parsed.entries.length)
      const rescreen = opts.rescreen === false ? undefined : await service.rescreen(tenantId, snapshotId)
      return {
        listId: parsed.listId,
        snapshotId,
        unchanged: false,
        entryCount: result.entryCount,
        added: result.added,
        removed: result.removed,
        changed: result.changed,
        warnings: parsed.warnings,
        ...(rescreen ? { rescreen } : {}),
      }
    },

    listStatus: (tenantId) => store.listStatus(tenantId),

    async check(tenantId, query, opts = {}) {
      validateQuery(query)
      const t = await indexFor(tenantId, opts.tx)
      if (!opts.subjectId) {
        const hits = t.index.screen(query, {
          threshold: opts.threshold ?? threshold,
          limit: opts.limit ?? 10,
        })
        return {
          hits,
          suppressed: [],
          alertsCreated: 0,
          listsLoaded: t.version ? t.version.split(',').length : 0,
          threshold: opts.threshold ?? threshold,
        }
      }
      const fingerprint = subjectFingerprint(query)
      await store.upsertSubject(
        tenantId,
        { subjectId: opts.subjectId, query, fingerprint },
        deps.clock.now(),
        opts.tx,
      )
      const r = await screenSubject(tenantId, t, t.index, opts.subjectId, query, fingerprint, 'screen', opts)
      return {
        ...r,
        listsLoaded: t.version ? t.version.split(',').length : 0,
        threshold: opts.threshold ?? threshold,
      }
    },

    async checkBatch(tenantId, queries) {
      if (queries.length > MAX_BATCH) throw batchTooLarge(queries.length, MAX_BATCH)
      for (const q of queries) validateQuery(q)
      const out: CheckResult[] = []
      for (const q of queries) {
        const { subjectId, ...query } = q
        out.push(await service.check(tenantId, query, subjectId ? { subjectId } : {}))
      }
      return out
    },

    async recordDecision(tenantId, input) {
      const subject = await store.subject(tenantId, input.subjectId)
      if (!subject) throw subjectNotFound(input.subjectId)
      const entryHash = await store.entryHash(tenantId, input.listId, input.entryKey)
      if (!entryHash) throw entryNotFound(input.listId, input.entryKey)
      const decisionId = deps.ids('scd')
      const now = deps.clock.now()
      await deps.db.transaction().execute(async (tx) => {
        await store.insertDecision(tx, tenantId, {
          decisionId,
          subjectId: input.subjectId,
          listId: input.listId,
          entryKey: input.entryKey,
          decision: input.decision,
          subjectFingerprint: subject.fingerprint,
          entryHash,
          analyst: input.analyst,
          reason: input.reason,
          createdAt: now,
        })
        await store.audit(tx, tenantId, {
          auditId: deps.ids('sau'),
          action: `decision.${input.decision}`,
          actor: input.analyst,
          subjectId: input.subjectId,
          listId: input.listId,
          entryKey: input.entryKey,
          details: { decisionId, reason: input.reason, subjectFingerprint: subject.fingerprint, entryHash },
          at: now,
        })
        await deps.outbox?.enqueue(tx, [
          {
            topic: SCREENING_EVENTS.decisionRecorded,
            key: input.subjectId,
            tenantId,
            payload: {
              decisionId,
              subjectId: input.subjectId,
              listId: input.listId,
              entryKey: input.entryKey,
              decision: input.decision,
              analyst: input.analyst,
            },
          },
        ])
      })
      return { decisionId }
    },

    async rescreen(tenantId, snapshotId) {
      const changes = (await store.snapshotChanges(tenantId, snapshotId)).filter(
        (c) => c.change !== 'removed',
      )
      if (changes.length === 0) return { subjects: 0, entries: 0, hits: 0, alertsCreated: 0, suppressed: 0 }
      const t = await indexFor(tenantId)
      // Only the added and changed entries, weighed with the whole corpus' token statistics.
      const small = new ScreeningIndex(DEFAULT_PARAMS, t.index.stats)
      for (const c of changes) small.add(c.entry)
      small.build()
      let subjects = 0
      let hits = 0
      let alertsCreated = 0
      let suppressed = 0
      let after = ''
      for (;;) {
        const page = await store.subjectsPage(tenantId, after, 2000)
        if (page.length === 0) break
        for (const s of page) {
          subjects++
          const r = await screenSubject(
            tenantId,
            t,
            small,
            s.subjectId,
            s.query,
            s.fingerprint,
            'rescreen',
            {},
          )
          hits += r.hits.length
          alertsCreated += r.alertsCreated
          suppressed += r.suppressed.length
        }
        after = page[page.length - 1]!.subjectId
      }
      deps.logger?.info({ tenantId, snapshotId, subjects, hits, alertsCreated }, 'screening: rescreen done')
      return { subjects, entries: changes.length, hits, alertsCreated, suppressed }
    },

    async warm(tenantId) {
      return { entries: (await indexFor(tenantId)).index.size }
    },

    alerts: (tenantId, subjectId, tx) => store.alerts(tenantId, subjectId, tx),
    auditTrail: (tenantId, subjectId) => store.auditTrail(tenantId, subjectId),
  }
  return service
}
