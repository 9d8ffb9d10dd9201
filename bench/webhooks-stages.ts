import { pct, round } from './args.js'

/**
 * Where an event's time from receipt to ledger effect goes (issue #18 item 3, session 19). Three
 * instants per applied event:
 *  - `receivedAt`: the API stamped the inbox row (`received_at`, before its group commit);
 *  - `roundAt`: the worker's round that applied it began (`processed_at`: the round's clock, read
 *    before its peek of due rows);
 *  - `effectAt`: the bench's poller saw the row leave the pending set (the round committed; to
 *    within one poll period, bench/webhooks-effects.ts).
 * `toRound` (receipt → round start) is time spent waiting for a processing loop: behind earlier
 * rounds (a backlog) or idle until woken. `inRound` (round start → effect seen) is the round's own
 * duration. Rounds are told apart by their `roundAt` (one clock reading per round, in
 * milliseconds: two loops woken by one notification in the same millisecond count as one round); a
 * round that claimed `claimBatch` rows was full: more were due than one round takes, i.e. a backlog,
 * not a wait.
 */
export interface StageSample {
  readonly receivedAt: number
  readonly roundAt: number
  readonly effectAt: number
}

export interface StageFigures {
  readonly toRoundP50Ms: number
  readonly toRoundP99Ms: number
  readonly inRoundP50Ms: number
  readonly inRoundP99Ms: number
  readonly rounds: number
  readonly meanRoundRows: number
  /** Share of the applied events that were applied in a full round (claimBatch rows). */
  readonly inFullRounds: number
}

export function stageFigures(samples: readonly StageSample[], claimBatch: number): StageFigures {
  const toRound = samples.map((s) => s.roundAt - s.receivedAt).sort((a, b) => a - b)
  const inRound = samples.map((s) => s.effectAt - s.roundAt).sort((a, b) => a - b)
  const perRound = new Map<number, number>()
  for (const s of samples) perRound.set(s.roundAt, (perRound.get(s.roundAt) ?? 0) + 1)
  let inFull = 0
  for (const n of perRound.values()) if (n >= claimBatch) inFull += n
  return {
    toRoundP50Ms: round(pct(toRound, 0.5)),
    toRoundP99Ms: round(pct(toRound, 0.99)),
    inRoundP50Ms: round(pct(inRound, 0.5)),
    inRoundP99Ms: round(pct(inRound, 0.99)),
    rounds: perRound.size,
    meanRoundRows: perRound.size === 0 ? 0 : round(samples.length / perRound.size),
    inFullRounds: samples.length === 0 ? 0 : Math.round((100 * inFull) / samples.length) / 100,
  }
}
