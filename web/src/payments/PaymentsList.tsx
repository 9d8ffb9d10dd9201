import { Choice, ErrorNote, Link, Pager, when } from '../components'
import { minorOf, money } from '../money'
import { href } from '../router'
import { useGet } from '../useApi'
import { PaymentsTabs } from './PaymentsTabs'
import type { Payment, SearchHit } from './types'

const STATUSES = [
  '',
  'requires_confirmation',
  'processing',
  'requires_action',
  'requires_capture',
  'succeeded',
  'failed',
  'canceled',
  'unknown',
] as const
const PAGE = 25
/** The orders GET /v1/payments sorts by on the server (anything else is INVALID_SORT). */
const SORTS = ['created', 'amount', 'status'] as const
type Sort = (typeof SORTS)[number]
const CAPTIONS: Record<Sort, [desc: string, asc: string]> = {
  created: ['Newest first.', 'Oldest first.'],
  amount: ['Largest amount first.', 'Smallest amount first.'],
  status: ['By status, Z to A.', 'By status, A to Z.'],
}

/**
 * Payments: a search box (id, card last four, customer, gateway reference, description — GET /v1/search,
 * with an optional exact amount; best match first) or the filtered list (GET /v1/payments, keyset pages,
 * sorted on the server by creation time, amount or status, either way). Everything — query, filters,
 * sort, order, page — is in the URL, so a view can be shared.
 */
export function PaymentsList(props: { query: URLSearchParams }) {
  const q = props.query
  const text = (q.get('q') ?? '').trim()
  return (
    <section aria-labelledby="payments-title">
      <h1 id="payments-title">Payments</h1>
      <PaymentsTabs current="payments" />
      <form
        class="filters"
        role="search"
        aria-label="Search payments"
        method="get"
        action="/console/payments"
      >
        <label>
          Search
          <input
            name="q"
            type="search"
            value={text}
            maxLength={200}
            placeholder="id, last four, customer, gateway ref"
          />
        </label>
        <label>
          Amount
          <input
            name="amount"
            value={q.get('amount') ?? ''}
            inputMode="decimal"
            size={10}
            placeholder="12.50"
          />
        </label>
        <Choice label="Status" name="status" value={q.get('status') ?? ''} options={STATUSES} />
        {/* A new filter keeps the list's order. */}
        {q.get('sort') ? <input type="hidden" name="sort" value={q.get('sort') ?? ''} /> : null}
        {q.get('order') ? <input type="hidden" name="order" value={q.get('order') ?? ''} /> : null}
        <label>
          Customer
          <input name="customer" value={q.get('customer') ?? ''} maxLength={255} />
        </label>
        <button type="submit">Search</button>
      </form>
      {text ? <SearchResults query={q} text={text} /> : <FilteredList query={q} />}
    </section>
  )
}

function SearchResults(props: { query: URLSearchParams; text: string }) {
  const q = props.query
  const offset = Number(q.get('offset') ?? '0') || 0
  const amount = minorOf(q.get('amount') ?? '')
  const { data, error, loading } = useGet<{ hits: SearchHit[]; total: number }>(
    href('/v1/search', {
      q: props.text,
      type: 'payment',
      limit: String(PAGE),
      offset: offset ? String(offset) : undefined,
      amountMin: amount ?? undefined,
      amountMax: amount ?? undefined,
    }),
  )
  const here = { q: props.text, amount: q.get('amount') ?? undefined }
  return (
    <>
      <ErrorNote error={error} />
      <table aria-busy={loading}>
        <caption>
          {data ? `${data.total} payment(s) match “${props.text}”` : 'Searching…'}, best match first.
        </caption>
        <thead>
          <tr>
            <th scope="col">Payment</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Amount
            </th>
            <th scope="col">Matched</th>
          </tr>
        </thead>
        <tbody>
          {(data?.hits ?? []).map((h) => (
            <tr key={h.id}>
              <td>
                <Link to={`/payments/${encodeURIComponent(h.id)}`}>{h.id}</Link>
              </td>
              <td>{when(h.occurredAt)}</td>
              <td>{h.attributes.status ?? ''}</td>
              <td class="num">{h.amount && h.currency ? money(h.amount, h.currency) : ''}</td>
              <td>
                {h.highlight.map((x, i) =>
                  x.match ? <mark key={i}>{x.text}</mark> : <span key={i}>{x.text}</span>,
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        label="Search results"
        first={offset ? href('/payments', here) : null}
        next={
          data && offset + PAGE < data.total
            ? href('/payments', { ...here, offset: String(offset + PAGE) })
            : null
        }
      />
    </>
  )
}

function FilteredList(props: { query: URLSearchParams }) {
  const q = props.query
  const status = q.get('status') ?? ''
  const customer = q.get('customer') ?? ''
  const order = q.get('order') === 'asc' ? 'asc' : 'desc'
  const sort: Sort = SORTS.find((s) => s === q.get('sort')) ?? 'created'
  const after = q.get('after') ?? ''
  const here = {
    status: status || undefined,
    customer: customer || undefined,
    sort: sort === 'created' ? undefined : sort,
    order: order === 'asc' ? 'asc' : undefined,
  }
  const { data, error, loading } = useGet<{ items: Payment[]; next: string | null }>(
    href('/v1/payments', { ...here, order, limit: String(PAGE), after: after || undefined }),
  )
  // A column header sorts by it, newest / largest / Z first; on the sorted column it flips the order.
  const header = (column: Sort, label: string, numeric = false) => {
    const active = sort === column
    const to = href('/payments', {
      ...here,
      sort: column === 'created' ? undefined : column,
      order: active && order === 'desc' ? 'asc' : undefined,
    })
    return (
      <th
        scope="col"
        {...(numeric ? { class: 'num' } : {})}
        {...(active
          ? { 'aria-sort': order === 'desc' ? ('descending' as const) : ('ascending' as const) }
          : {})}
      >
        <Link to={to}>
          {label}
          {active ? (order === 'desc' ? ' ▼' : ' ▲') : ''}
        </Link>
      </th>
    )
  }
  return (
    <>
      <ErrorNote error={error} />
      <table aria-busy={loading}>
        <caption>{CAPTIONS[sort][order === 'desc' ? 0 : 1]}</caption>
        <thead>
          <tr>
            <th scope="col">Payment</th>
            {header('created', 'Created')}
            {header('status', 'Status')}
            {header('amount', 'Amount', true)}
            <th scope="col" class="num">
              Refunded
            </th>
            <th scope="col">Customer</th>
            <th scope="col">Gateway</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/payments/${encodeURIComponent(p.id)}`}>{p.id}</Link>
              </td>
              <td>{when(p.createdAt)}</td>
              <td>{p.status}</td>
              <td class="num">{money(p.amount, p.currency)}</td>
              <td class="num">{money(p.amountRefunded, p.currency)}</td>
              <td>{p.customer ?? '—'}</td>
              <td>{p.gateway ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p>No payments match.</p> : null}
      <Pager
        label="Payments"
        first={after ? href('/payments', here) : null}
        next={data?.next ? href('/payments', { ...here, after: data.next }) : null}
      />
    </>
  )
}
