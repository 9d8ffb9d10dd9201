import { runStepsInSlices } from '../../shared/time-slice.js'
import { FEATURE_NAMES } from './features.js'
import { GateInputsHash } from './gate-inputs.js'
import { modelToJson, NotEnoughLabels } from './model.js'
import type { RiskContext } from './risk-context.js'
import { riskError } from './risk.errors.js'
import type { TrainRequest, TrainResult } from './risk.types.js'
import { jobHistory } from './training-job.js'
import { countSplit, historyRange } from './training.js'

/** RISK_INVALID_INPUT: the tree shape a caller may ask for. */
export function checkTrainRequest(req: TrainRequest): void {
  if (req.trees !== undefined && (!Number.isInteger(req.trees) || req.trees < 1 || req.trees > 500))
    throw riskError('RISK_INVALID_INPUT', 'trees is 1–500')
  if (req.depth !== undefined && (!Number.isInteger(req.depth) || req.depth < 1 || req.depth > 8))
    throw riskError('RISK_INVALID_INPUT', 'depth is 1–8')
  if (req.startingModel !== undefined && req.startingModel !== 'bundled' && req.startingModel !== 'none')
    throw riskError('RISK_INVALID_INPUT', 'startingModel is bundled or none')
}

/**
 * A training of the tenant's window into a new shadow model (once the request is checked, no other
 * training of the tenant runs, and the jobs' lane is free): the window streamed page by page to
 * where training runs, the model stored with its gate figures and change report (retiring shadows
 * past the limit), its subjects' seeds stored, and the scorer rebuilt with it.
 */
export async function trainShadowModel(
  ctx: RiskContext,
  tenant: string,
  req: TrainRequest,
  actor: string,
): Promise<TrainResult> {
  const { history, clock, ids } = ctx.deps
  const stored = await history.history(tenant, 0, 0)
  const range = historyRange(stored.range)
  const from = req.from ?? range.from
  const to = req.to ?? range.to
  if (!(to > from)) throw riskError('RISK_NOT_ENOUGH_LABELS', 'no stored transactions in the window')
  // everything but the transactions: they go to the training a page at a time, so that this
  // thread never holds the window (at 10,000 customers its major collections stalled it seconds)
  const head = await history.history(tenant, from, to, { seeds: true, txns: false })
  const labels = await ctx.registry.labels(tenant)
  const live = await ctx.registry.live(tenant)
  // what changed against the model it would replace: the champion, or the newest model
  const newest = (await ctx.store.listModels(tenant))[0]
  const previous = live ?? (newest ? await ctx.registry.load(tenant, newest.modelId) : undefined)
  const session = await ctx.jobs.start()
  try {
    // the digest of what the gate reads, and the times the split is cut at, taken page by page
    const hash = new GateInputsHash(head, labels, live?.record.modelId)
    const ats: number[] = []
    for await (const page of history.transactionPages(tenant, from, to)) {
      await runStepsInSlices(hash.txnSteps(page))
      for (const t of page) ats.push(t.at)
      await session.send(page)
    }
    const gateInputs = hash.digest(head.seeds)
    const split = countSplit(ats, from, to)
    const { txns: _none, ...window } = jobHistory(head, labels)
    let trained
    try {
      trained = await session.run({
        kind: 'train',
        ...window,
        split,
        startFromBundled: req.startingModel !== 'none',
        params: {
          ...(req.trees ? { trees: req.trees } : {}),
          ...(req.depth ? { depth: req.depth } : {}),
        },
        live: live && { model: modelToJson(live.model), threshold: live.record.threshold },
        previous: previous && {
          model: modelToJson(previous.model),
          threshold: previous.record.threshold,
          modelId: previous.record.modelId,
          version: previous.record.version,
          status: previous.record.status,
        },
        to,
      })
    } catch (e) {
      if (e instanceof NotEnoughLabels) throw riskError('RISK_NOT_ENOUGH_LABELS', e.message)
      throw e
    }
    const { record, retired } = await ctx.store.insertModel({
      tenant,
      modelId: ids('rmod'),
      windowFrom: new Date(from),
      windowTo: new Date(to),
      holdoutFrom: new Date(split.holdoutFrom),
      features: FEATURE_NAMES,
      metrics: {
        ...trained.model.metrics,
        holdoutRows: trained.holdoutRows,
        validationFrom: split.validationFrom,
        gateAtTraining: trained.gate,
        gateInputs,
        gateTo: (ats.at(-1) ?? from) + 1,
        changes: trained.changes,
        drift: trained.drift,
      },
      model: trained.model,
      threshold: trained.threshold,
      trainedBy: actor,
      trainedAt: clock.now(),
      keepShadows: ctx.maxShadows,
    })
    // a chunk at a time, each asked for once the one before is stored
    for await (const seeds of session.seeds()) await ctx.scoreStore.seed(tenant, record.modelId, seeds)
    await ctx.scorers.replace(tenant)
    return { model: record, gate: trained.gate, changes: trained.changes, retired }
  } finally {
    await session.close()
  }
}
