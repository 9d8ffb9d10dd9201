import { ErrorNote, Link, when } from './components'
import { useGet } from './useApi'

interface CaseDetail {
  readonly case: {
    readonly caseId: string
    readonly subject: string
    readonly partyId: string | null
    readonly kind: string
    readonly status: string
    readonly priority: number
    readonly assignee: string | null
    readonly dueAt: string
    readonly openedAt: string
    readonly outcome: string | null
  }
  readonly alerts: readonly {
    readonly alertId: string
    readonly rule: string
    readonly typology: string | null
    readonly score: number
    readonly priority: number
    readonly summary: string
    readonly raisedAt: string
  }[]
  readonly timeline: readonly {
    readonly entryId: string
    readonly at: string
    readonly actor: string
    readonly action: string
  }[]
}

/** One case: its facts, alerts and timeline (read-only in this first console step). */
export function CaseView(props: { id: string }) {
  const { data, error } = useGet<CaseDetail>(`/v1/cases/${encodeURIComponent(props.id)}`)
  const c = data?.case
  return (
    <section aria-labelledby="case-title">
      <p>
        <Link to="/cases">← Back to the queue</Link>
      </p>
      <h1 id="case-title">Case {props.id}</h1>
      <ErrorNote error={error} />
      {c ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              {c.status}
              {c.outcome ? ` (${c.outcome})` : ''}
            </dd>
            <dt>Priority</dt>
            <dd>P{c.priority}</dd>
            <dt>Kind</dt>
            <dd>{c.kind}</dd>
            <dt>Subject</dt>
            <dd>{c.subject}</dd>
            <dt>Party</dt>
            <dd>{c.partyId ?? '—'}</dd>
            <dt>Assignee</dt>
            <dd>{c.assignee ?? 'unassigned'}</dd>
            <dt>Opened</dt>
            <dd>{when(c.openedAt)}</dd>
            <dt>Due</dt>
            <dd>{when(c.dueAt)}</dd>
          </dl>
          <h2>Alerts</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Raised</th>
                <th scope="col">Rule</th>
                <th scope="col">Typology</th>
                <th scope="col">Score</th>
                <th scope="col">Summary</th>
              </tr>
            </thead>
            <tbody>
              {data.alerts.map((a) => (
                <tr key={a.alertId}>
                  <td>{when(a.raisedAt)}</td>
                  <td>{a.rule}</td>
                  <td>{a.typology ?? '—'}</td>
                  <td>{a.score}</td>
                  <td>{a.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Timeline</h2>
          <ol class="timeline">
            {data.timeline.map((t) => (
              <li key={t.entryId}>
                <time dateTime={t.at}>{when(t.at)}</time> {t.action} by {t.actor}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  )
}
