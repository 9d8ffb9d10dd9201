import { parentPort } from 'node:worker_threads'
import { runSteps } from '../../shared/time-slice.js'
import type { MonTxn } from '../monitoring/index.js'
import { NotEnoughLabels } from './model.js'
import { trainingJobSteps, type TrainingJob } from './training-job.js'
import { SEED_CHUNK, type FromTrainer, type ToTrainer } from './training-runner.js'

/**
 * The worker half of training-runner.ts: receives a training job's transactions in chunks, then the
 * rest of the job, runs it in one go (this thread serves no request, so it need not yield) and
 * sends the outcome back, its subject seeds in chunks.
 */
const port = parentPort!
const send = (m: FromTrainer): void => port.postMessage(m)
const txns: MonTxn[] = []

port.on('message', (m: ToTrainer) => {
  if (m.kind === 'txns') {
    for (const t of m.txns) txns.push(t)
    return
  }
  const job: TrainingJob = { ...m.job, txns }
  try {
    const { seeds, ...outcome } = runSteps(trainingJobSteps(job))
    for (let i = 0; i < seeds.length; i += SEED_CHUNK)
      send({ kind: 'seeds', seeds: seeds.slice(i, i + SEED_CHUNK) })
    send({ kind: 'done', outcome })
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e))
    send({
      kind: 'failed',
      notEnoughLabels: e instanceof NotEnoughLabels,
      message: err.message,
      stack: err.stack,
    })
  }
})
send({ kind: 'ready' })
