import { useState } from 'preact/hooks'
import { api, errorText } from './api'
import { Choice, ErrorNote, Pager, when } from './components'
import { href } from './router'
import { useGet } from './useApi'

interface Payment {
  readonly id: string
  readonly status: string
  readonly amount: string
  readonly currency: string
  readonly amountCaptured: string
  readonly amountRefunded: string
  readonly customer: string | null
  readonly gateway: string | null
  readonly createdAt: string
}

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

/** Minor units (a JSON integer string) shown with two decimals; money stays a string, never a float. */
export function money(minor: string, currency: string): string {
  const negative = minor.startsWith('-')
  const digits = (negative ? minor.slice(1) : minor).padStart(3, '0')
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)} ${currency}`
}
const refundable = (p: Payment): bigint => BigInt(p.amountCaptured) - BigInt(p.amountRefunded)

/** Payments, newest first, one keyset page at a time (filters and cursor in the URL), with a refund action. */
export function Payments(props: { query: URLSearchParams; canRefund: boolean }) {
  const q = props.query
  const status = q.get('status') ?? ''
  const customer = q.get('customer') ?? ''
  const after = q.get('after') ?? ''
  const here = { status: status || undefined, customer: customer || undefined }
  const [reload, setReload] = useState(0)
  const [refunding, setRefunding] = useState<Payment | null>(null)
  const [done, setDone] = useState<string | null>(null)
  const { data, error, loading } = useGet<{ items: Payment[]; next: string | null }>(
    href('/v1/payments', { ...here, limit: '25', after: after || undefined }),
    reload,
  )

  return (
    <section aria-labelledby="payments-title">
      <h1 id="payments-title">Payments</h1>
      <form class="filters" aria-label="Payment filters" method="get" action="/console/payments">
        <Choice label="Status" name="status" value={status} options={STATUSES} />
        <label>
          Customer
          <input name="customer" value={customer} maxLength={255} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      {done ? (
        <p role="status" class="ok">
          {done}
        </p>
      ) : null}
      {refunding ? (
        <RefundForm
          payment={refunding}
          onCancel={() => setRefunding(null)}
          onDone={(text) => {
            setRefunding(null)
            setDone(text)
            setReload((n) => n + 1)
          }}
        />
      ) : null}
      <table aria-busy={loading}>
        <caption>Newest first.</caption>
        <thead>
          <tr>
            <th scope="col">Payment</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Amount
            </th>
            <th scope="col" class="num">
              Refunded
            </th>
            <th scope="col">Customer</th>
            <th scope="col">Gateway</th>
            {props.canRefund ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((p) => (
            <tr key={p.id}>
              <td>
                <code>{p.id}</code>
              </td>
              <td>{when(p.createdAt)}</td>
              <td>{p.status}</td>
              <td class="num">{money(p.amount, p.currency)}</td>
              <td class="num">{money(p.amountRefunded, p.currency)}</td>
              <td>{p.customer ?? '—'}</td>
              <td>{p.gateway ?? '—'}</td>
              {props.canRefund ? (
                <td>
                  {refundable(p) > 0n ? (
                    <button
                      type="button"
                      aria-label={`Refund ${p.id}`}
                      onClick={() => {
                        setDone(null)
                        setRefunding(p)
                      }}
                    >
                      Refund
                    </button>
                  ) : null}
                </td>
              ) : null}
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
    </section>
  )
}

/**
 * One refund, with one idempotency key for the life of the form: a double click or a retry after a lost
 * answer refunds once.
 */
function RefundForm(props: { payment: Payment; onCancel: () => void; onDone: (text: string) => void }) {
  const p = props.payment
  const [amount, setAmount] = useState(refundable(p).toString())
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [key] = useState(() => crypto.randomUUID())
  const submit = (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    api<{ id: string; amount: string; status: string }>(
      'POST',
      `/v1/payments/${encodeURIComponent(p.id)}/refunds`,
      {
        idempotencyKey: `console-${key}`,
        body: { amount, ...(reason.trim() ? { reason: reason.trim() } : {}) },
      },
    ).then(
      (r) => props.onDone(`Refund ${r.id} of ${money(r.amount, p.currency)}: ${r.status}.`),
      (err: unknown) => {
        setError(errorText(err))
        setBusy(false)
      },
    )
  }
  return (
    <form class="panel" aria-labelledby="refund-title" onSubmit={submit}>
      <h2 id="refund-title">Refund {p.id}</h2>
      <p>Up to {money(refundable(p).toString(), p.currency)} can be refunded.</p>
      <label>
        Amount in minor units ({p.currency})
        <input
          name="amount"
          inputMode="numeric"
          pattern="[0-9]+"
          required
          value={amount}
          autoFocus
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
      </label>
      <label>
        Reason
        <input
          name="reason"
          maxLength={500}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Refund
      </button>
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <ErrorNote error={error} />
    </form>
  )
}
