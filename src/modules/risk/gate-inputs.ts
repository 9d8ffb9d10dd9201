import { createHash } from 'node:crypto'
import { runSteps, type Steps } from '../../shared/time-slice.js'
import type { EntityHabits, HistorySeeds, MonTxn, StoredHistory } from '../monitoring/index.js'
import { FEATURE_NAMES } from './features.js'
import type { RiskLabel } from './replay.js'

/**
 * What the promotion gate reads, as one digest: the window's transactions, parties, lists and
 * active rule set, the labels, which model is live, and this code's feature list. The gate is a pure
 * function of these (a replay of the window, then promotionGate), so when a shadow model is promoted
 * or evaluated and the digest equals the one taken at its training, the gate figures stored then are
 * the figures a new replay would give, and the replay — minutes on a 1M-transaction history, past an
 * HTTP client's patience (session 25's promotion was cut off at 300 s) — is skipped. Anything that
 * changes the answer (a case closed since, a new rule set, another live model, a backfill into the
 * window) changes the digest, and the gate is replayed as before.
 */
export function gateInputsDigest(
  h: StoredHistory,
  labels: readonly RiskLabel[],
  liveModelId: string | undefined,
): string {
  return runSteps(gateInputsDigestSteps(h, labels, liveModelId))
}

/** gateInputsDigest in steps of 4,096 transactions (140k of them held the server 215 ms, session 29). */
export function* gateInputsDigestSteps(
  h: StoredHistory,
  labels: readonly RiskLabel[],
  liveModelId: string | undefined,
): Steps<string> {
  const hash = new GateInputsHash(h, labels, liveModelId)
  yield* hash.txnSteps(h.txns)
  return hash.digest(h.seeds)
}

/**
 * How the gate judges, in the digest: a gate stored by a model trained under an older method is
 * replayed at promotion, not reused. 2 since session 58: a candidate with an alert budget is judged
 * by its own case queue replayed (ADR 1411), where before it was its top customers by combined score.
 */
export const GATE_METHOD = 2

/**
 * gateInputsDigest fed a page of the window at a time (training streams the window to its worker
 * and never holds it whole): the head at construction, then every page in order, then the seeds.
 */
export class GateInputsHash {
  private readonly hash = createHash('sha256')
  private n = 0

  constructor(
    h: Pick<StoredHistory, 'activeRuleSet' | 'lists' | 'parties'>,
    labels: readonly RiskLabel[],
    liveModelId: string | undefined,
  ) {
    const hash = this.hash
    // a new code version that computes other features gives other figures
    hash.update(`features:${FEATURE_NAMES.join(',')}\nlive:${liveModelId ?? ''}\ngate:${GATE_METHOD}\n`)
    hash.update(`rules:${json(h.activeRuleSet ?? null)}\n`)
    for (const [name, members] of [...h.lists].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      hash.update(`list:${name}:${[...members].sort().join(',')}\n`)
    // parties and labels in a fixed order: the store reads them in no defined order
    for (const p of sortedLines(h.parties)) hash.update(`party:${p}\n`)
    for (const l of sortedLines(labels)) hash.update(`label:${l}\n`)
  }

  /** The next transactions in the store's order; each one's own fields, as stored. */
  *txnSteps(txns: readonly MonTxn[]): Steps<void> {
    for (const t of txns) {
      this.hash.update(`txn:${json(t)}\n`)
      if (++this.n % 4096 === 0) yield
    }
  }

  /** What came before the window seeds the replay's engine (a backfill there changes its features). */
  digest(seeds: HistorySeeds | undefined): string {
    for (const a of sortedLines(seeds?.activity ?? [])) this.hash.update(`activity:${a}\n`)
    for (const x of sortedLines((seeds?.habits ?? []).map(canonicalHabits))) this.hash.update(`habits:${x}\n`)
    return this.hash.digest('hex')
  }
}

const sortedLines = (xs: readonly unknown[]): string[] => xs.map(json).sort()

/**
 * An entity's habits in a form that does not depend on how the database happened to aggregate
 * them: counterparties in id order (the store hands them over in no defined order) and the
 * ln(amount) statistics to 12 significant digits (a parallel plan sums the floats in another order
 * from run to run, which moves the last bits). A difference below that is no change to the gate.
 */
function canonicalHabits(h: EntityHabits): unknown {
  const dir = (d: EntityHabits['in']) => ({
    n: d.n,
    mean: Number(d.mean.toPrecision(12)),
    m2: Number(d.m2.toPrecision(12)),
    cps: [...d.counterparties].sort((a, b) => (a.cp < b.cp ? -1 : a.cp > b.cp ? 1 : 0)),
  })
  return { kind: h.kind, id: h.id, in: dir(h.in), out: dir(h.out) }
}

/** JSON.stringify with bigint money written as its digits. */
const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))
