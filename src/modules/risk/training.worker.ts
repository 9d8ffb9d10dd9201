import { parentPort } from 'node:worker_threads'
import { runSteps } from '../../shared/time-slice.js'
import type { MonTxn } from '../monitoring/index.js'
import { NotEnoughLabels } from './model.js'
import type { SubjectDayMargins } from './score.store.js'
import { windowJobSteps, type TrainingOutcome } from './training-job.js'
import { SEED_CHUNK, type FromTrainer, type ToTrainer } from './training-runner.js'

/**
 * The worker half of training-runner.ts: gathers the window's transactions as they come, runs the
 * job in one go when asked (this thread serves no request, so it need not yield), answers with its
 * figures, then hands the subject seeds back a chunk per request.
 */
const port = parentPort!
const send = (m: FromTrainer): void => port.postMessage(m)
const txns: MonTxn[] = []
let seeds: SubjectDayMargins[] = []
let sent = 0

port.on('message', (m: ToTrainer) => {
  if (m.kind === 'txns') {
    for (const t of m.txns) txns.push(t)
  } else if (m.kind === 'seeds') {
    const chunk = seeds.slice(sent, sent + SEED_CHUNK)
    sent += chunk.length
    send({ kind: 'seeds', seeds: chunk, last: sent >= seeds.length })
  } else {
    try {
      const outcome = runSteps(windowJobSteps({ ...m.settings, txns }))
      txns.length = 0 // the replay is done with them
      if (m.settings.kind === 'train') {
        const { seeds: all, ...figures } = outcome as TrainingOutcome
        seeds = all
        send({ kind: 'done', figures })
      } else send({ kind: 'done', figures: outcome as Exclude<typeof outcome, TrainingOutcome> })
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e))
      send({
        kind: 'failed',
        notEnoughLabels: e instanceof NotEnoughLabels,
        message: err.message,
        stack: err.stack,
      })
    }
  }
})
send({ kind: 'ready' })
