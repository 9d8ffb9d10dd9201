import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote } from '../components'
import { useAction } from '../useApi'

interface Report {
  readonly ok: boolean
  readonly violations: readonly { kind: string; ref: string; detail: string }[]
}

/** `moneta ledger verify` for this tenant, on demand (it reads every entry, so only when asked). */
export function VerifyPanel() {
  const [report, setReport] = useState<Report | null>(null)
  const action = useAction()
  const run = () => action.run(async () => setReport(await api<Report>('GET', '/v1/ledger/verify')))
  return (
    <div class="panel" role="group" aria-label="Ledger verification">
      <button type="button" disabled={action.busy} onClick={run}>
        Verify the ledger
      </button>
      {action.busy ? <span> Checking every transaction and balance…</span> : null}
      <ErrorNote error={action.error} />
      {report ? (
        <div role="status" class={report.ok ? 'ok' : 'error'} data-testid="verify-result">
          {report.ok
            ? 'Ledger verified: every transaction nets to zero, balances equal their entries, totals are zero.'
            : `${report.violations.length} violation(s)`}
          {report.ok ? null : (
            <ul>
              {report.violations.map((v, i) => (
                <li key={i}>
                  {v.kind} {v.ref}: {v.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  )
}
