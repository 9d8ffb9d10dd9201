import { LineChart } from '../charts'
import { ErrorNote, Head, Link, when } from '../components'
import { money } from '../money'
import { href } from '../router'
import { useGet } from '../useApi'
import { entryDelta, type Account, type Balances, type Entry } from './types'

const PAGE = 25

interface Series {
  readonly currency: string
  readonly entries: string
  readonly points: readonly { seq: string; at: string; posted: string }[]
}

/**
 * One account: balances now and as of a chosen day, the posted balance over its whole history (sampled by
 * the API), and its entries with the balance after each — the latest page first, older pages by cursor.
 */
export function AccountView(props: { id: string; query: URLSearchParams }) {
  const base = `/v1/accounts/${encodeURIComponent(props.id)}`
  const here = `/ledger/accounts/${encodeURIComponent(props.id)}`
  const asOf = props.query.get('at') ?? ''
  const account = useGet<Account>(base)
  const series = useGet<Series>(`${base}/series`)
  const past = useGet<Balances & { asOf: string }>(asOf ? `${base}/balances?at=${asOf}T23:59:59.999Z` : null)
  const total = series.data ? Number(series.data.entries) : null
  const after = props.query.get('after') ?? (total === null ? null : String(Math.max(0, total - PAGE)))
  const entries = useGet<{ items: Entry[] }>(
    after === null ? null : `${base}/entries?limit=${PAGE}&after=${after}`,
  )
  const a = account.data
  const cur = a?.currency ?? series.data?.currency ?? ''
  const from = after === null ? 0 : Number(after)
  return (
    <section aria-labelledby="account-title">
      <p>
        <Link to="/ledger">← Ledger</Link>
      </p>
      <h1 id="account-title">Account {props.id}</h1>
      <ErrorNote error={account.error} />
      {a ? (
        <dl class="facts">
          <dt>Currency</dt>
          <dd>{a.currency}</dd>
          <dt>Normal side</dt>
          <dd>{a.normalSide}</dd>
          <dt>Posted now</dt>
          <dd data-testid="balance-now">{money(a.balances.posted, cur)}</dd>
          <dt>Available now</dt>
          <dd>{money(a.balances.available, cur)}</dd>
        </dl>
      ) : null}
      <form class="filters" aria-label="Balance as of a date" method="get" action={`/console${here}`}>
        <label>
          As of (end of day, UTC)
          <input type="date" name="at" value={asOf} required />
        </label>
        <button type="submit">Show balance</button>
      </form>
      <ErrorNote error={past.error} />
      {past.data ? (
        <p role="status" data-testid="balance-as-of">
          Posted {money(past.data.posted, cur)}, available {money(past.data.available, cur)} as of{' '}
          {when(past.data.asOf)}.
        </p>
      ) : null}
      <h2>Balance over time</h2>
      <ErrorNote error={series.error} />
      {series.data ? (
        <LineChart
          label={`Posted balance of ${props.id} over ${series.data.entries} entries`}
          points={series.data.points.map((p) => ({ x: Date.parse(p.at), y: Number(p.posted) / 100 }))}
          format={(y) => y.toFixed(2)}
        />
      ) : null}
      <h2 id="entries-title">Entries</h2>
      <ErrorNote error={entries.error} />
      <table aria-labelledby="entries-title" aria-busy={entries.loading}>
        <Head
          cols={['#', 'When', 'Transaction', 'Kind', 'Side', 'Amount', 'Balance after']}
          numeric={['Amount', 'Balance after']}
        />
        <tbody>
          {[...(entries.data?.items ?? [])].reverse().map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{when(e.createdAt)}</td>
              <td>
                <Link to={`/ledger/transactions/${encodeURIComponent(e.transactionId)}`}>
                  {e.transactionId}
                </Link>
              </td>
              <td>{e.kind}</td>
              <td>{e.side === 'D' ? 'debit' : 'credit'}</td>
              <td class="num">{money(entryDelta(e), cur)}</td>
              <td class="num">{money(e.balanceAfter.posted, cur)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Entry pages" class="pager">
        {total !== null && from + PAGE < total ? <Link to={here}>Latest</Link> : null}
        {from > 0 ? <Link to={href(here, { after: String(Math.max(0, from - PAGE)) })}>Older</Link> : null}
        {total !== null && from + PAGE < total ? (
          <Link to={href(here, { after: String(from + PAGE) })}>Newer</Link>
        ) : null}
      </nav>
    </section>
  )
}
