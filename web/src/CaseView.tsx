import { useState } from 'preact/hooks'
import { can, type Session } from './api'
import { CounterpartyGraph, PartyPanel, TransactionsTable, transactionsOf } from './case/CaseFacts'
import { Decisions } from './case/Decisions'
import { DownloadLink, SarEditor } from './case/SarEditor'
import { ModelScore, modelOf } from './case/ModelScore'
import { ScreeningHit } from './case/ScreeningHit'
import type { CaseDetail } from './case/types'
import { ErrorNote, Head, Link, when } from './components'
import { useGet } from './useApi'

/**
 * One case, worked end to end: its facts and alerts, the party, the transactions (table and counterparty
 * graph), screening hits beside their list entries, decisions under four eyes, the SAR draft and the
 * signed evidence bundle. What the role cannot do is not offered.
 */
export function CaseView(props: { id: string; session: Session }) {
  const [reload, setReload] = useState(0)
  const { data, error } = useGet<CaseDetail>(`/v1/cases/${encodeURIComponent(props.id)}`, reload)
  const changed = () => setReload((n) => n + 1)
  const s = props.session
  const who = { actor: s.actor, canWrite: can(s, 'cases:write'), canApprove: can(s, 'cases:approve') }
  const c = data?.case
  const txns = data ? transactionsOf(data) : []
  return (
    <section aria-labelledby="case-title">
      <p>
        <Link to="/cases">← Back to the queue</Link>
      </p>
      <h1 id="case-title">Case {props.id}</h1>
      <ErrorNote error={error} />
      {c && data ? (
        <div class="case-grid">
          <section aria-labelledby="summary-title" class="card">
            <h2 id="summary-title">Summary</h2>
            <dl class="facts">
              <dt>Status</dt>
              <dd data-testid="case-status">
                {c.status}
                {c.outcome ? ` (${c.outcome})` : ''}
              </dd>
              <dt>Priority</dt>
              <dd>P{c.priority}</dd>
              <dt>Kind</dt>
              <dd>{c.kind}</dd>
              <dt>Subject</dt>
              <dd>{c.subject}</dd>
              <dt>Assignee</dt>
              <dd>{c.assignee ?? 'unassigned'}</dd>
              <dt>Opened</dt>
              <dd>{when(c.openedAt)}</dd>
              <dt>Due</dt>
              <dd>{when(c.dueAt)}</dd>
            </dl>
            <p>
              Evidence bundle (signed, with audit proofs):{' '}
              <DownloadLink
                path={`/v1/cases/${encodeURIComponent(c.caseId)}/evidence`}
                name={`${c.caseId}.evidence.json`}
                label="Download evidence bundle"
              />
            </p>
          </section>
          <Decisions detail={data} who={who} onChange={changed} />
          <PartyPanel party={data.party} partyId={c.partyId} />
          <section aria-labelledby="alerts-title" class="card wide">
            <h2 id="alerts-title">Alerts</h2>
            <table>
              <Head cols={['Raised', 'Source', 'Rule', 'Typology', 'Score', 'Summary']} />
              <tbody>
                {data.alerts.map((a) => (
                  <tr key={a.alertId}>
                    <td>{when(a.raisedAt)}</td>
                    <td>{a.source}</td>
                    <td>{a.rule}</td>
                    <td>{a.typology ?? '—'}</td>
                    <td>{a.score}</td>
                    <td>{a.summary}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {data.alerts
            .filter((a) => a.source === 'screening')
            .map((a) => (
              <ScreeningHit
                key={a.alertId}
                alert={a}
                party={data.party}
                canCheck={can(s, 'screening:write')}
              />
            ))}
          {data.alerts.map((a) => {
            const m = modelOf(a)
            return m ? <ModelScore key={`model-${a.alertId}`} alert={a} model={m} /> : null
          })}
          <TransactionsTable txns={txns} />
          <CounterpartyGraph subject={c.subject} txns={txns} />
          <SarEditor caseId={c.caseId} canWrite={who.canWrite} onChange={changed} />
          <section aria-labelledby="timeline-title" class="card">
            <h2 id="timeline-title">Timeline</h2>
            <ol class="timeline">
              {data.timeline.map((t) => (
                <li key={t.entryId}>
                  <time dateTime={t.at}>{when(t.at)}</time> {t.action} by {t.actor}
                </li>
              ))}
            </ol>
          </section>
        </div>
      ) : null}
    </section>
  )
}
