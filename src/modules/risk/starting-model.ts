import bundled from './starting-model.json' with { type: 'json' }
import { FEATURE_NAMES } from './features.js'
import type { Ensemble } from './gbdt.js'
import { modelFromJson, type ModelJson } from './model.js'

/**
 * The starting model a tenant's training boosts from (session 58, docs/adr/1412): trees trained by
 * `npm run bench -- risk-starting-model` on generated TUNING data only (every typology of our
 * generator, labelled). A tenant's first models learn from a few dozen of its own cases; on tuning
 * tenants of 2,000–10,000 customers such a model ranked few of the later suspicious customers in its
 * top 2 %, and one trained on a hundred generated cases ranked many more. The tenant's trees then
 * correct it on the tenant's own cases, and its calibration, alert budget and gate are the tenant's.
 */
export interface StartingModel {
  /** Which starting model (stored in a trained model's metrics.startedFrom). */
  readonly name: string
  readonly ensemble: Ensemble
}

interface StartingModelFile {
  readonly name: string
  readonly model: ModelJson
}

let cached: StartingModel | null | undefined

/**
 * The bundled starting model, or undefined when its features are not this build's (a feature added
 * since it was trained: its trees would read the wrong columns; the test beside this file fails
 * until it is retrained).
 */
export function bundledStartingModel(): StartingModel | undefined {
  if (cached === undefined) cached = load(bundled as unknown as StartingModelFile)
  return cached ?? undefined
}

function load(file: StartingModelFile): StartingModel | null {
  const features = file.model.features
  if (features.length !== FEATURE_NAMES.length || features.some((f, i) => f !== FEATURE_NAMES[i])) return null
  return { name: file.name, ensemble: modelFromJson(file.model).ensemble }
}

/**
 * The trees boosted on a tenant's cases from the starting model: few, shallow and slow (a fresh
 * model: 80 trees of depth 5 at 0.15). Chosen on tuning tenants (docs/risk.md, "Session 58"): 20
 * trees of depth 5 at 0.15 undid most of the start (at 5,000 customers its top 2 % held 2 of 21
 * later cases, the start alone 17); these nudge it, ranking as the start alone or a little better.
 */
export const START_PARAMS = { trees: 20, depth: 2, learningRate: 0.03 } as const
