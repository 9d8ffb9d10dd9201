import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head } from '../components'
import { useAction } from '../useApi'

interface SetReport {
  readonly version: number
  readonly alerts: number
  readonly hitsByRule: Readonly<Record<string, number>>
  readonly outcomes: { allow: number; review: number; block: number }
}
interface Report {
  readonly transactions: number
  readonly draft: SetReport
  readonly active?: SetReport
  readonly diff?: { onlyDraft: number; onlyActive: number; both: number }
}

const dayAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10)

/** Replays stored history through a version and, beside it, the active set: what would change. */
export function Backtest(props: { version: number }) {
  const [from, setFrom] = useState(dayAgo(30))
  const [to, setTo] = useState(dayAgo(0))
  const [report, setReport] = useState<Report | null>(null)
  const action = useAction()
  const run = (e: Event) => {
    e.preventDefault()
    action.run(async () =>
      setReport(
        await api<Report>('POST', '/v1/monitoring/backtests', {
          body: { version: props.version, from: `${from}T00:00:00Z`, to: `${to}T23:59:59Z`, compare: true },
        }),
      ),
    )
  }
  const sets = report ? [report.draft, ...(report.active ? [report.active] : [])] : []
  const rules = [...new Set(sets.flatMap((s) => Object.keys(s.hitsByRule)))].sort()
  return (
    <section aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest v{props.version} against the active set</h2>
      <form class="filters" aria-label="Backtest period" onSubmit={run}>
        <label>
          From
          <input type="date" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          Run backtest
        </button>
      </form>
      <ErrorNote error={action.error} />
      {report ? (
        <>
          <p role="status">
            {report.transactions} transactions replayed.
            {report.diff
              ? ` Alerts only v${report.draft.version} raises: ${report.diff.onlyDraft}; only the active set: ${report.diff.onlyActive}; both: ${report.diff.both}.`
              : ''}
          </p>
          <table>
            <Head cols={['', ...sets.map((s) => `v${s.version}`)]} />
            <tbody>
              <tr>
                <th scope="row">Alerts</th>
                {sets.map((s) => (
                  <td key={s.version}>{s.alerts}</td>
                ))}
              </tr>
              <tr>
                <th scope="row">Review / block</th>
                {sets.map((s) => (
                  <td key={s.version}>
                    {s.outcomes.review} / {s.outcomes.block}
                  </td>
                ))}
              </tr>
              {rules.map((r) => (
                <tr key={r}>
                  <th scope="row">Hits: {r}</th>
                  {sets.map((s) => (
                    <td key={s.version}>{s.hitsByRule[r] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  )
}
