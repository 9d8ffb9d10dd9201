import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { DAY_MS, defaultRuleSet, generateTransactions } from '../monitoring/index.js'
import { caseLabels } from './case-labels.fixture.js'
import { NotEnoughLabels } from './model.js'
import type { TrainingJob } from './training-job.js'
import { runTrainingJob } from './training-runner.js'
import { timeSplit } from './training.js'

describe('a training job in a worker thread', () => {
  const data = generateTransactions({ customers: 400, days: 60, seed: 37, caseRate: 0.05 })
  const job: TrainingJob = {
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

  it('passes on too few labels as the same error, and ends the worker', async () => {
    const err = await runTrainingJob({ ...job, labels: [] }, 'worker').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotEnoughLabels)
  }, 60_000)
})
