import type { DuckDBInstance } from '@duckdb/node-api'
import { randomInt, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type pg from 'pg'
import type { Db } from '../../shared/db/connect.js'
import { analyticsError, storageFailure } from './analytics.errors.js'
import { DATASETS, type DatasetName } from './datasets.js'
import { createExportStore, type ExportCursor } from './export.store.js'
import { safeHorizon } from './horizon.js'
import type { ParquetSink } from './sink.js'
import { copyToCsv, csvToParquet, readToCsv } from './staging.js'

/** The steps of a round, in order; a test's `onStep` may throw at any of them to simulate a crash. */
export type ExportStep = 'read-chunk' | 'staged' | 'published-file' | 'committed'

export interface ExportRound {
  /** (from, to] of analytics_seq published by this round; from = to when there was nothing new. */
  readonly from: bigint
  readonly to: bigint
  readonly rows: Readonly<Record<DatasetName, number>>
  /** The round finished one that a crash had interrupted. */
  readonly resumed: boolean
  readonly ms: number
}

export interface AnalyticsExporter {
  /** Exports everything committed since the last round. Errors: ANALYTICS_EXPORT_BUSY. */
  exportOnce(): Promise<ExportRound>
  status(): Promise<ExportCursor | null>
}

export interface ExporterDeps {
  readonly db: Db
  /** The server's pool (PostgreSQL only): rows are read by COPY TO STDOUT. PGlite reads CSV by query. */
  readonly pool?: pg.Pool | undefined
  readonly duck: DuckDBInstance
  readonly sink: ParquetSink
  /** Local work directory for CSV and Parquet staging (kept across a crash: a staged round resumes from it). */
  readonly stagingDir: string
  readonly exportKey?: string
  /** analytics_seq values per read chunk (default 2,000,000 with COPY, else 250,000: one text value per chunk). */
  readonly chunkSpan?: bigint
  /** Most seq values per round (default 20M): bounds staging disk use. */
  readonly maxSpan?: bigint
  /** How long a round waits for open writers below the horizon (default 5 s). */
  readonly horizonWaitMs?: number
  readonly leaseMs?: number
  readonly onStep?: (step: ExportStep) => void
  readonly onProgress?: (rows: number) => void
}

const emptyCounts = (): Record<DatasetName, number> =>
  Object.fromEntries(DATASETS.map((d) => [d.name, 0])) as Record<DatasetName, number>

export function createAnalyticsExporter(deps: ExporterDeps): AnalyticsExporter {
  const store = createExportStore(deps.db, deps.exportKey ?? 'default')
  const owner = `exp_${randomUUID()}`
  const roundDir = (high: bigint) => join(deps.stagingDir, `round-${high}`)
  const step = (s: ExportStep) => deps.onStep?.(s)

  /** Reads (from, high] into staging as Parquet; marks the round staged only once all of it is on disk. */
  async function stage(from: bigint, high: bigint, rows: Record<DatasetName, number>): Promise<void> {
    const dir = roundDir(high)
    await rm(dir, { recursive: true, force: true })
    const attempt = String(randomInt(100_000_000, 1_000_000_000))
    // PostgreSQL reads the next dataset while DuckDB converts the previous one (two processes, two
    // cores). A failure on either side waits for the other to settle before it is thrown, so nothing
    // still writes into the round's directory when a resumed round clears it.
    let converting: Promise<void> = Promise.resolve()
    for (const d of DATASETS) {
      const csvDir = join(dir, 'csv', d.name)
      const onChunk = (n: number) => {
        deps.onProgress?.(n)
        step('read-chunk')
      }
      try {
        rows[d.name] = deps.pool
          ? await copyToCsv(
              deps.pool,
              d,
              { from, to: high, span: deps.chunkSpan ?? 2_000_000n },
              csvDir,
              onChunk,
            )
          : await readToCsv(deps.db, d, { from, to: high, span: deps.chunkSpan ?? 250_000n }, csvDir, onChunk)
      } catch (e) {
        await converting.catch(() => undefined)
        throw e
      }
      await converting
      converting = csvToParquet(deps.duck, d, csvDir, join(dir, 'parquet', d.name), high, attempt).then(() =>
        rm(csvDir, { recursive: true, force: true }),
      )
      void converting.catch(() => undefined) // observed now; thrown where it is awaited
    }
    await converting
    await writeFile(join(dir, 'STAGED'), JSON.stringify(rows))
    await store.setPending(owner, high, 'staged')
    step('staged')
  }

  /** Moves every staged file to its place; after a crash, only the ones still in staging. */
  async function publish(high: bigint): Promise<void> {
    const parquetDir = join(roundDir(high), 'parquet')
    if (!existsSync(parquetDir)) return
    for (const file of await listFiles(parquetDir)) {
      try {
        await deps.sink.put(file, relative(parquetDir, file))
      } catch (e) {
        throw storageFailure(deps.sink.kind, e)
      }
      step('published-file')
    }
  }

  async function round(cursor: ExportCursor): Promise<Omit<ExportRound, 'ms'>> {
    const rows = emptyCounts()
    const from = cursor.watermark
    let high = cursor.pendingHigh
    let resumed = high !== null
    if (high !== null && cursor.pendingPhase === 'staged' && existsSync(join(roundDir(high), 'STAGED'))) {
      Object.assign(
        rows,
        JSON.parse(await readFile(join(roundDir(high), 'STAGED'), 'utf8')) as Record<DatasetName, number>,
      )
    } else {
      if (high === null) {
        const horizon = await safeHorizon(deps.db, { waitMs: deps.horizonWaitMs ?? 5000 })
        const max = deps.maxSpan ?? 20_000_000n
        if (horizon === null || horizon <= from) return { from, to: from, rows, resumed: false }
        high = horizon - from > max ? from + max : horizon
        resumed = false
        await store.setPending(owner, high, 'reading')
      } else if (cursor.pendingPhase === 'staged') {
        // Staged again, its staging gone (another process began publishing it, or the directory was
        // lost). A round still 'reading' published nothing: nothing to discard.
        try {
          await deps.sink.discard(high)
        } catch (e) {
          throw storageFailure(deps.sink.kind, e)
        }
      }
      await stage(from, high, rows)
    }
    await publish(high)
    await store.commit(
      owner,
      high,
      Object.values(rows).reduce((a, b) => a + b, 0),
    )
    step('committed')
    await rm(roundDir(high), { recursive: true, force: true })
    return { from, to: high, rows, resumed }
  }

  return {
    async exportOnce() {
      const started = Date.now()
      const cursor = await store.acquire(owner, deps.leaseMs ?? 600_000)
      if (!cursor) throw analyticsError('ANALYTICS_EXPORT_BUSY')
      try {
        await clearStaleRounds(deps.stagingDir, cursor.pendingHigh)
        return { ...(await round(cursor)), ms: Date.now() - started }
      } finally {
        await store.release(owner)
      }
    },
    status: () => store.read(),
  }
}

/** Removes round directories left by a crash after commit, keeping the pending round's. */
async function clearStaleRounds(stagingDir: string, keep: bigint | null): Promise<void> {
  await mkdir(stagingDir, { recursive: true })
  for (const name of await readdir(stagingDir)) {
    if (name !== `round-${keep}`) await rm(join(stagingDir, name), { recursive: true, force: true })
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listFiles(p)))
    else out.push(p)
  }
  return out.sort()
}
