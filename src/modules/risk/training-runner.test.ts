import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { DAY_MS, defaultRuleSet, generateTransactions } from '../monitoring/index.js'
import { caseLabels } from './case-labels.fixture.js'
import { NotEnoughLabels } from './model.js'
import type { DriftOutcome, TrainingJob } from './training-job.js'
import { runTrainingJob, startTraining } from './training-runner.js'
import { timeSplit } from './training.js'

describe('a training job in a worker thread', () => {
  const data = generateTransactions({ customers: 400, days: 60, seed: 37, caseRate: 0.05 })
  const job: TrainingJob = {
    kind: 'train',
    txns: data.txns,
    parties: data.parties,
    highRisk: data.highRiskCountries,
    labels: caseLabels(data.cases),
    ruleSet: { definition: defaultRuleSet(), version: 1, lists: ['high_risk_countries', 'watchlist'] },
    split: timeSplit(data.start, data.end + DAY_MS),
    params: { trees: 20, depth: 4 },
    to: data.end + DAY_MS,
  }

  it('gives what the same job gives on this thread, to the last digit, and leaves this thread idle', async () => {
    const onThread = await runTrainingJob(job, 'process')
    const before = performance.eventLoopUtilization()
    const inWorker = await runTrainingJob(job, 'worker')
    const busy = performance.eventLoopUtilization(before).utilization
    expect(inWorker).toEqual(onThread)
    expect(inWorker.seeds.length).toBeGreaterThan(4096) // came back in several messages
    expect(inWorker.gate.suspicious).toBeGreaterThan(0)
    // this thread only cloned the transactions out and the outcome in; on it, training keeps it ~100 % busy
    expect(busy).toBeLessThan(0.5)
  }, 180_000)

  it('replays the gate and the drift check in a worker to what they give here', async () => {
    const trained = await runTrainingJob(job, 'process')
    const { txns, ruleSet, labels, parties, highRisk, split } = job
    const jobs = [
      { kind: 'gate', parties, highRisk, labels, ruleSet, split, candidate: trained.model },
      { kind: 'drift', parties, highRisk, keepFrom: split.holdoutFrom, reference: trained.model.reference },
    ] as const
    for (const settings of jobs) {
      const outcomes = []
      for (const mode of ['process', 'worker'] as const) {
        const session = await startTraining(mode)
        try {
          for (let i = 0; i < txns.length; i += 10_000) await session.send(txns.slice(i, i + 10_000))
          outcomes.push(await session.run(settings))
        } finally {
          await session.close()
        }
      }
      expect(outcomes[1]).toEqual(outcomes[0])
      // the gate replayed alone is the gate training computed; the drift check compared every feature
      if (settings.kind === 'gate') expect(outcomes[0]).toEqual(trained.gate)
      else {
        const drift = outcomes[0] as DriftOutcome
        expect(drift.rows).toBeGreaterThan(0)
        expect(drift.report).toHaveLength(trained.model.reference.length)
      }
    }
    expect(trained.gate.suspicious).toBeGreaterThan(0)
  }, 180_000)

  it('passes on too few labels as the same error, and ends the worker', async () => {
    const err = await runTrainingJob({ ...job, labels: [] }, 'worker').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotEnoughLabels)
  }, 60_000)
})
