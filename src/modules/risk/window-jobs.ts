import {
  startTraining,
  type FiguresOf,
  type JobSettings,
  type TrainingMode,
  type TrainingSession,
} from './training-runner.js'
import type { RiskHistoryPort } from './risk.types.js'

/**
 * Where the jobs on a tenant's window run (a worker thread, unless MONETA_RISK_TRAIN_IN=process),
 * one at a time in the process: each holds its window here and its features in a worker whose heap
 * may grow as large as the server's.
 */
export class WindowJobs {
  private lane: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly mode: TrainingMode,
    private readonly history: Pick<RiskHistoryPort, 'transactionPages'>,
  ) {}

  /** `run` once every job queued before it has ended. */
  inLane<T>(run: () => Promise<T>): Promise<T> {
    const next = this.lane.then(run)
    this.lane = next.catch(() => undefined)
    return next
  }

  /** A session where the job runs: its window is sent to it page by page (inside `inLane`). */
  start(): Promise<TrainingSession> {
    return startTraining(this.mode)
  }

  /** A gate or drift job on the window [from, to): its transactions streamed to where the job runs. */
  onWindow<S extends Exclude<JobSettings, { kind: 'train' }>>(
    tenant: string,
    from: number,
    to: number,
    settings: S,
  ): Promise<FiguresOf<S>> {
    return this.inLane(async () => {
      const session = await this.start()
      try {
        for await (const page of this.history.transactionPages(tenant, from, to)) await session.send(page)
        return await session.run(settings)
      } finally {
        await session.close()
      }
    })
  }
}
