import type { CaseAlert } from './types'

/** What monitoring stores on an alert about the risk model's score (src/modules/monitoring/decision-model.ts). */
interface ModelFacts {
  readonly version: number
  readonly threshold: number
  readonly probability: number
  readonly explanation?: {
    readonly up: readonly { feature: string; value: number; shap: number }[]
    readonly down: readonly { feature: string; value: number; shap: number }[]
  }
}

export function modelOf(a: CaseAlert): ModelFacts | undefined {
  const ctx = a.payload.context as { model?: ModelFacts } | undefined
  return ctx?.model
}

const factor = (c: { feature: string; value: number; shap: number }) =>
  `${c.feature} = ${Number(c.value.toFixed(3))} (${c.shap > 0 ? '+' : ''}${c.shap.toFixed(2)})`

/**
 * Why the risk model scored the alert's subject as it did: its calibrated probability against its
 * threshold and the features that pushed the score up and down (exact TreeSHAP, in log-odds).
 */
export function ModelScore(props: { alert: CaseAlert; model: ModelFacts }) {
  const m = props.model
  const e = m.explanation
  return (
    <section aria-label={`Risk model score of alert ${props.alert.alertId}`} class="card">
      <h2>
        Risk model v{m.version}: {m.probability.toFixed(3)} (threshold {m.threshold.toFixed(3)})
      </h2>
      <p>
        Alert {props.alert.alertId} on {props.alert.subject}
      </p>
      {e ? (
        <dl>
          <dt>Pushed up</dt>
          <dd>{e.up.length > 0 ? e.up.map(factor).join(' · ') : '—'}</dd>
          <dt>Pushed down</dt>
          <dd>{e.down.length > 0 ? e.down.map(factor).join(' · ') : '—'}</dd>
        </dl>
      ) : null}
    </section>
  )
}
