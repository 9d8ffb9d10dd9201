import { getHeapStatistics } from 'node:v8'
import { setImmediate as turn } from 'node:timers/promises'
import { runStepsInSlices } from '../../shared/time-slice.js'
import { spawnTsWorker } from '../../shared/ts-worker.js'
import type { MonTxn } from '../monitoring/index.js'
import { NotEnoughLabels } from './model.js'
import type { SubjectDayMargins } from './score.store.js'
import { trainingJobSteps, type TrainingJob, type TrainingOutcome } from './training-job.js'

/**
 * Where a training runs. `worker` (the default): in a worker thread of its own, so the replay of
 * the window, the fit and the reports — and above all the garbage they make — never hold the thread
 * that answers requests. Run in slices on that thread (`process`, before session 37), training
 * still left turns of 400–700 ms: major garbage collections of a heap holding the whole window's
 * features (docs/risk.md). `process` stays for benches and tests that step a training themselves.
 */
export type TrainingMode = 'worker' | 'process'

/** Transactions a message carries to the worker: cloning a million at once holds this thread for seconds. */
export const TXN_CHUNK = 4096
/** Subject-days a message carries back (their cloning, on arrival, runs on this thread). */
export const SEED_CHUNK = 4096

export type ToTrainer =
  | { readonly kind: 'txns'; readonly txns: readonly MonTxn[] }
  | { readonly kind: 'run'; readonly job: Omit<TrainingJob, 'txns'> }

export type FromTrainer =
  | { readonly kind: 'ready' }
  | { readonly kind: 'seeds'; readonly seeds: SubjectDayMargins[] }
  | { readonly kind: 'done'; readonly outcome: Omit<TrainingOutcome, 'seeds'> }
  | {
      readonly kind: 'failed'
      readonly notEnoughLabels: boolean
      readonly message: string
      readonly stack: string | undefined
    }

export function runTrainingJob(job: TrainingJob, mode: TrainingMode): Promise<TrainingOutcome> {
  return mode === 'worker' ? inWorker(job) : runStepsInSlices(trainingJobSteps(job))
}

async function inWorker(job: TrainingJob): Promise<TrainingOutcome> {
  // the worker may need as much heap as training on this thread would have had
  const heapMb = Math.ceil(getHeapStatistics().heap_size_limit / 2 ** 20)
  const worker = spawnTsWorker(new URL('./training.worker.ts', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  })
  const seeds: SubjectDayMargins[] = []
  let ready!: () => void
  const started = new Promise<void>((resolve) => (ready = resolve))
  const finished = new Promise<TrainingOutcome>((resolve, reject) => {
    worker.on('message', (m: FromTrainer) => {
      if (m.kind === 'ready') ready()
      else if (m.kind === 'seeds') for (const s of m.seeds) seeds.push(s)
      else if (m.kind === 'done') resolve({ ...m.outcome, seeds })
      else reject(failure(m))
    })
    worker.on('error', reject)
    worker.on('exit', (code) =>
      reject(new Error(`the training worker exited (code ${code}) before it finished`)),
    )
  })
  try {
    await Promise.race([started, finished])
    const { txns, ...rest } = job
    for (let i = 0; i < txns.length; i += TXN_CHUNK) {
      worker.postMessage({ kind: 'txns', txns: txns.slice(i, i + TXN_CHUNK) } satisfies ToTrainer)
      await turn()
    }
    worker.postMessage({ kind: 'run', job: rest } satisfies ToTrainer)
    return await finished
  } finally {
    await worker.terminate()
  }
}

function failure(m: Extract<FromTrainer, { kind: 'failed' }>): Error {
  const e = m.notEnoughLabels ? new NotEnoughLabels(m.message) : new Error(m.message)
  if (m.stack) e.stack = m.stack
  return e
}
