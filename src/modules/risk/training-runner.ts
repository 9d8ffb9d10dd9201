import { getHeapStatistics } from 'node:v8'
import { setImmediate as turn } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import { runStepsInSlices } from '../../shared/time-slice.js'
import { spawnTsWorker } from '../../shared/ts-worker.js'
import type { MonTxn } from '../monitoring/index.js'
import { NotEnoughLabels } from './model.js'
import type { SubjectDayMargins } from './score.store.js'
import {
  windowJobSteps,
  type OutcomeOf,
  type TrainingJob,
  type TrainingOutcome,
  type WindowJob,
} from './training-job.js'

/**
 * Where a training runs. `worker` (the default): in a worker thread of its own, so the replay of
 * the window, the fit and the reports — and above all the garbage they make — never hold the thread
 * that answers requests. Run in slices on that thread (`process`, before session 37), training
 * still left turns of 400–700 ms: major garbage collections of a heap holding the whole window's
 * features (docs/risk.md). `process` stays as the fallback and as the reference the tests compare with.
 */
export type TrainingMode = 'worker' | 'process'

type WithoutTxns<J> = J extends WindowJob ? Omit<J, 'txns'> : never
/** A job's settings: everything but the window's transactions, which are sent a page at a time. */
export type JobSettings = WithoutTxns<WindowJob>
export type OutcomeFigures = Omit<TrainingOutcome, 'seeds'>
/** What `run` answers: a training's seeds are taken back apart (TrainingSession.seeds). */
export type FiguresOf<S extends JobSettings> = S extends { kind: 'train' } ? OutcomeFigures : OutcomeOf<S>

/**
 * One training: the window's transactions handed over a page at a time (the server never holds
 * them whole), then the job run, then its subject seeds taken back a chunk at a time, each asked
 * for once the one before is handled (stored). `close` ends the worker, whatever happened.
 */
export interface TrainingSession {
  send(txns: readonly MonTxn[]): Promise<void>
  run<S extends JobSettings>(settings: S): Promise<FiguresOf<S>>
  seeds(): AsyncIterable<SubjectDayMargins[]> | Iterable<SubjectDayMargins[]>
  close(): Promise<void>
}

/** Transactions a message carries to the worker: cloning a million at once holds this thread for seconds. */
export const TXN_CHUNK = 4096
/** Subject-days a message carries back: each is cloned on this thread when it arrives. */
export const SEED_CHUNK = 4096

export type ToTrainer =
  | { readonly kind: 'txns'; readonly txns: readonly MonTxn[] }
  | { readonly kind: 'run'; readonly settings: JobSettings }
  | { readonly kind: 'seeds' }

export type FromTrainer =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly figures: FiguresOf<JobSettings> }
  | { readonly kind: 'seeds'; readonly seeds: SubjectDayMargins[]; readonly last: boolean }
  | {
      readonly kind: 'failed'
      readonly notEnoughLabels: boolean
      readonly message: string
      readonly stack: string | undefined
    }

export function startTraining(mode: TrainingMode): Promise<TrainingSession> {
  return mode === 'worker' ? workerSession() : Promise.resolve(threadSession())
}

/** A whole job through a session (tests, and what a caller holding the window whole runs). */
export async function runTrainingJob(job: TrainingJob, mode: TrainingMode): Promise<TrainingOutcome> {
  const session = await startTraining(mode)
  try {
    const { txns, ...settings } = job
    for (let i = 0; i < txns.length; i += TXN_CHUNK) await session.send(txns.slice(i, i + TXN_CHUNK))
    const figures = await session.run({ ...settings, kind: 'train' as const })
    const seeds: SubjectDayMargins[] = []
    for await (const chunk of session.seeds()) for (const s of chunk) seeds.push(s)
    return { ...figures, seeds }
  } finally {
    await session.close()
  }
}

/** On this thread, in slices of about 4 ms. */
function threadSession(): TrainingSession {
  const txns: MonTxn[] = []
  let seeds: SubjectDayMargins[] = []
  return {
    send(page) {
      for (const t of page) txns.push(t)
      return Promise.resolve()
    },
    async run<S extends JobSettings>(settings: S): Promise<FiguresOf<S>> {
      const outcome = await runStepsInSlices(windowJobSteps({ ...settings, txns }))
      if (settings.kind !== 'train') return outcome as FiguresOf<S>
      const { seeds: kept, ...figures } = outcome as TrainingOutcome
      seeds = kept
      return figures as FiguresOf<S>
    },
    *seeds() {
      for (let i = 0; i < seeds.length; i += SEED_CHUNK) yield seeds.slice(i, i + SEED_CHUNK)
    },
    close: () => Promise.resolve(),
  }
}

async function workerSession(): Promise<TrainingSession> {
  // the worker may need as much heap as training on this thread would have had
  const heapMb = Math.ceil(getHeapStatistics().heap_size_limit / 2 ** 20)
  const worker = spawnTsWorker(new URL('./training.worker.ts', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  })
  const replies = replyQueue(worker)
  try {
    await replies.next('ready')
  } catch (e) {
    await worker.terminate()
    throw e
  }
  const post = (m: ToTrainer): void => worker.postMessage(m)
  return {
    async send(page) {
      for (let i = 0; i < page.length; i += TXN_CHUNK) {
        post({ kind: 'txns', txns: page.length <= TXN_CHUNK ? page : page.slice(i, i + TXN_CHUNK) })
        await turn()
      }
    },
    async run<S extends JobSettings>(settings: S): Promise<FiguresOf<S>> {
      post({ kind: 'run', settings })
      return (await replies.next('done')).figures as FiguresOf<S>
    },
    async *seeds() {
      for (;;) {
        post({ kind: 'seeds' })
        const m = await replies.next('seeds')
        if (m.seeds.length > 0) yield m.seeds
        if (m.last) return
      }
    },
    async close() {
      await worker.terminate()
    },
  }
}

/**
 * The worker's replies, awaited one at a time: a failure, an error or an exit rejects the one
 * awaited (or the next one asked for, if none is).
 */
function replyQueue(worker: Worker): {
  next<K extends FromTrainer['kind']>(kind: K): Promise<Extract<FromTrainer, { kind: K }>>
} {
  const queued: FromTrainer[] = []
  let broken: Error | undefined
  let waiting: { kind: string; resolve: (m: FromTrainer) => void; reject: (e: Error) => void } | undefined
  const fail = (e: Error): void => {
    broken ??= e
    waiting?.reject(broken)
    waiting = undefined
  }
  const deliver = (): void => {
    const m = queued[0]
    if (!waiting || !m) return
    queued.shift()
    const w = waiting
    waiting = undefined
    if (m.kind === 'failed') w.reject(failure(m))
    else if (m.kind !== w.kind) w.reject(new Error(`the training worker answered ${m.kind}, not ${w.kind}`))
    else w.resolve(m)
  }
  worker.on('message', (m: FromTrainer) => {
    queued.push(m)
    deliver()
  })
  worker.on('error', fail)
  worker.on('exit', (code) => fail(new Error(`the training worker exited (code ${code}) before it finished`)))
  return {
    next(kind) {
      if (broken && queued.length === 0) return Promise.reject(broken)
      return new Promise((resolve, reject) => {
        waiting = { kind, resolve: resolve as (m: FromTrainer) => void, reject }
        deliver()
      })
    },
  }
}

function failure(m: Extract<FromTrainer, { kind: 'failed' }>): Error {
  const e = m.notEnoughLabels ? new NotEnoughLabels(m.message) : new Error(m.message)
  if (m.stack) e.stack = m.stack
  return e
}
