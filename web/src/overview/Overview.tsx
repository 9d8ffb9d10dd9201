import { can, type Session } from '../api'
import { BarChart, LineChart } from '../charts'
import { ErrorNote, Head } from '../components'
import { money } from '../money'
import { age } from '../screening/Screening'
import { useGet } from '../useApi'

interface Day {
  readonly day: string
  readonly currency: string
  readonly payments: number
  readonly succeeded: number
  readonly failed: number
  readonly captured: string
  readonly refunded: string
  readonly disputed: string
  readonly refunds: number
  readonly disputes: number
}
interface AgeCount {
  readonly kind: string
  readonly age: string
  readonly count: number
}
const AGES = ['under_1d', '1_7d', '7_30d', 'over_30d'] as const
const AGE_LABEL: Record<string, string> = {
  under_1d: '< 1 day',
  '1_7d': '1–7 days',
  '7_30d': '7–30 days',
  over_30d: '> 30 days',
}

/** The day's picture in charts, each panel shown only to a role that may read its area. */
export function Overview(props: { session: Session }) {
  const s = props.session
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <div class="grid">
        {can(s, 'payments:read') ? <PaymentsPanel /> : null}
        {can(s, 'ledger:read') ? <LedgerPanel /> : null}
        {can(s, 'cases:read') ? <WorkPanel /> : null}
        {can(s, 'monitoring:read') ? <PipelinePanel /> : null}
        {can(s, 'screening:read') ? <ListsPanel /> : null}
      </div>
    </section>
  )
}

function PaymentsPanel() {
  const { data, error } = useGet<{ days: Day[] }>('/v1/payments/stats?days=14')
  const byDay = new Map<string, { payments: number; succeeded: number }>()
  const byCurrency = new Map<string, Day>()
  for (const d of data?.days ?? []) {
    const x = byDay.get(d.day) ?? { payments: 0, succeeded: 0 }
    byDay.set(d.day, { payments: x.payments + d.payments, succeeded: x.succeeded + d.succeeded })
    const c = byCurrency.get(d.currency)
    byCurrency.set(
      d.currency,
      c
        ? {
            ...c,
            payments: c.payments + d.payments,
            captured: String(BigInt(c.captured) + BigInt(d.captured)),
            refunded: String(BigInt(c.refunded) + BigInt(d.refunded)),
            disputed: String(BigInt(c.disputed) + BigInt(d.disputed)),
            refunds: c.refunds + d.refunds,
            disputes: c.disputes + d.disputes,
          }
        : d,
    )
  }
  const days = [...byDay.entries()].map(([day, v]) => ({ x: Date.parse(day), ...v }))
  return (
    <section class="card" aria-labelledby="ov-payments">
      <h2 id="ov-payments">Payments, last 14 days</h2>
      <ErrorNote error={error} />
      <LineChart label="Payments per day" points={days.map((d) => ({ x: d.x, y: d.payments }))} />
      <LineChart
        label="Success rate per day, percent"
        points={days.map((d) => ({ x: d.x, y: d.payments ? (100 * d.succeeded) / d.payments : 0 }))}
        format={(y) => `${y.toFixed(0)}%`}
        color="#2e7d32"
      />
      <table aria-label="Captures, refunds and disputes by currency">
        <Head
          cols={['Currency', 'Payments', 'Captured', 'Refunded (count)', 'Disputed (count)']}
          numeric={['Payments', 'Captured', 'Refunded (count)', 'Disputed (count)']}
        />
        <tbody>
          {[...byCurrency.values()].map((c) => (
            <tr key={c.currency}>
              <td>{c.currency}</td>
              <td class="num">{c.payments}</td>
              <td class="num">{money(c.captured, c.currency)}</td>
              <td class="num">
                {money(c.refunded, c.currency)} ({c.refunds})
              </td>
              <td class="num">
                {money(c.disputed, c.currency)} ({c.disputes})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function LedgerPanel() {
  const { data, error } = useGet<{
    currencies: { currency: string; accounts: number; debitsPosted: string; creditsPosted: string }[]
  }>('/v1/ledger/totals')
  const rows = data?.currencies ?? []
  return (
    <section class="card" aria-labelledby="ov-ledger">
      <h2 id="ov-ledger">Ledger totals per currency</h2>
      <ErrorNote error={error} />
      <BarChart
        label="Posted debits per currency, in major units"
        bars={rows.map((r) => ({ label: r.currency, value: Number(BigInt(r.debitsPosted) / 100n) }))}
      />
      <table aria-label="Ledger totals">
        <Head
          cols={['Currency', 'Accounts', 'Debits posted', 'Credits posted']}
          numeric={['Accounts', 'Debits posted', 'Credits posted']}
        />
        <tbody>
          {rows.map((r) => (
            <tr key={r.currency}>
              <td>{r.currency}</td>
              <td class="num">{r.accounts}</td>
              <td class="num">{money(r.debitsPosted, r.currency)}</td>
              <td class="num">{money(r.creditsPosted, r.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function byAge(rows: readonly AgeCount[], kinds: readonly string[]) {
  return AGES.map((a) => ({
    label: AGE_LABEL[a]!,
    value: rows.filter((r) => r.age === a && r.kind === kinds[0]).reduce((n, r) => n + r.count, 0),
    second: rows.filter((r) => r.age === a && r.kind !== kinds[0]).reduce((n, r) => n + r.count, 0),
  }))
}

function WorkPanel() {
  const { data, error } = useGet<{ cases: AgeCount[]; alerts: AgeCount[] }>('/v1/cases/stats')
  const cases = data?.cases ?? []
  const alerts = data?.alerts ?? []
  const kinds = [...new Set([...cases, ...alerts].map((r) => r.kind))].sort()
  return (
    <section class="card" aria-labelledby="ov-work">
      <h2 id="ov-work">Open cases and alerts by age</h2>
      <ErrorNote error={error} />
      <BarChart
        label="Open cases by age: monitoring, other kinds"
        bars={byAge(cases, ['monitoring'])}
        legend={['monitoring', 'screening / market']}
      />
      <table aria-label="Open cases and alerts by kind">
        <Head cols={['Kind', 'Open cases', 'Alerts in them']} numeric={['Open cases', 'Alerts in them']} />
        <tbody>
          {kinds.map((k) => (
            <tr key={k}>
              <td>{k}</td>
              <td class="num">{cases.filter((r) => r.kind === k).reduce((n, r) => n + r.count, 0)}</td>
              <td class="num">{alerts.filter((r) => r.kind === k).reduce((n, r) => n + r.count, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function PipelinePanel() {
  const { data, error } = useGet<{ pending: number; oldestPendingSeconds: number; failed: number }>(
    '/v1/events/lag',
  )
  return (
    <section class="card" aria-labelledby="ov-pipeline">
      <h2 id="ov-pipeline">Event pipeline</h2>
      <ErrorNote error={error} />
      {data ? (
        <>
          <BarChart
            label={`Events waiting to be relayed: ${data.pending}; dead letters: ${data.failed}`}
            bars={[
              { label: 'waiting', value: data.pending },
              { label: 'dead letters', value: data.failed },
            ]}
          />
          <p data-testid="pipeline-lag">
            Lag:{' '}
            {data.pending === 0
              ? 'none — every event is relayed'
              : `oldest waiting ${data.oldestPendingSeconds.toFixed(1)} s`}
            .
          </p>
        </>
      ) : null}
    </section>
  )
}

function ListsPanel() {
  const { data, error } = useGet<{ lists: { listId: string; importedAt: string; entryCount: number }[] }>(
    '/v1/screening/lists',
  )
  const now = Date.now()
  const lists = data?.lists ?? []
  return (
    <section class="card" aria-labelledby="ov-lists">
      <h2 id="ov-lists">Sanctions list snapshot age</h2>
      <ErrorNote error={error} />
      <BarChart
        label="Hours since each list's active snapshot was loaded"
        bars={lists.map((l) => ({
          label: l.listId,
          value: Math.round((now - Date.parse(l.importedAt)) / 3_600_000),
        }))}
      />
      <ul>
        {lists.map((l) => (
          <li key={l.listId}>
            {l.listId}: {l.entryCount} entries, loaded {age(now - Date.parse(l.importedAt))} ago
          </li>
        ))}
        {data && lists.length === 0 ? <li>No list loaded.</li> : null}
      </ul>
    </section>
  )
}
