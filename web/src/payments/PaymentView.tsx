import { useState } from 'preact/hooks'
import { ErrorNote, Head, Link, when } from '../components'
import { money } from '../money'
import { useGet } from '../useApi'
import { PaymentActions } from './PaymentActions'
import { PaymentStrayCharges } from './PaymentStrayCharges'
import type { Payment, StrayCharge, TimelineItem } from './types'

const KIND_LABEL: Record<TimelineItem['kind'], string> = {
  state: 'State',
  gateway_call: 'Gateway call',
  webhook_received: 'Webhook received',
  ledger_posting: 'Ledger posting',
  webhook_sent: 'Webhook sent',
}

/** One payment: its figures, the actions its state allows, and its timeline with the ledger postings. */
export function PaymentView(props: { id: string; canWrite: boolean }) {
  const [reload, setReload] = useState(0)
  const [done, setDone] = useState<string | null>(null)
  const path = `/v1/payments/${encodeURIComponent(props.id)}`
  const payment = useGet<Payment>(path, reload)
  const timeline = useGet<{ items: TimelineItem[] }>(`${path}/timeline`, reload)
  const p = payment.data
  // The whole screen reloads, as after a payment action: a refund made by hand is booked in the ledger.
  const strayResolved = (r: StrayCharge) => {
    setDone(`Stray charge ${r.gatewayRef} is marked reversed by hand.`)
    setReload((n) => n + 1)
  }
  return (
    <section aria-labelledby="payment-title">
      <p>
        <Link to="/payments">← Payments</Link>
      </p>
      <h1 id="payment-title">Payment {props.id}</h1>
      <ErrorNote error={payment.error} />
      {p ? (
        <dl class="facts">
          <dt>Status</dt>
          <dd data-testid="payment-status">{p.status}</dd>
          <dt>Amount</dt>
          <dd>{money(p.amount, p.currency)}</dd>
          <dt>Captured</dt>
          <dd>{money(p.amountCaptured, p.currency)}</dd>
          <dt>Refunded</dt>
          <dd data-testid="payment-refunded">{money(p.amountRefunded, p.currency)}</dd>
          <dt>Customer</dt>
          <dd>{p.customer ?? '—'}</dd>
          <dt>Gateway</dt>
          <dd>
            {p.gateway ?? '—'} {p.gatewayRef ? <code>{p.gatewayRef}</code> : null}
          </dd>
          <dt>Created</dt>
          <dd>{when(p.createdAt)}</dd>
        </dl>
      ) : null}
      {done ? (
        <p role="status" class="ok">
          {done}
        </p>
      ) : null}
      {p && props.canWrite ? (
        <PaymentActions
          payment={p}
          onDone={(t) => {
            setDone(t)
            setReload((n) => n + 1)
          }}
        />
      ) : null}
      {p ? (
        <PaymentStrayCharges
          paymentId={props.id}
          reload={reload}
          {...(props.canWrite ? { onResolved: strayResolved } : {})}
        />
      ) : null}
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <ErrorNote error={timeline.error} />
        <ol class="timeline" aria-busy={timeline.loading}>
          {(timeline.data?.items ?? []).map((i, n) => (
            <li key={n} class={`tl-${i.kind}`}>
              <span class="tl-when">{when(i.at)}</span> <strong>{KIND_LABEL[i.kind]}</strong> {i.title}
              {Object.keys(i.details).length > 0 ? (
                <span class="tl-details">
                  {' '}
                  {Object.entries(i.details)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(' · ')}
                </span>
              ) : null}
              {i.entries ? <Postings item={i} /> : null}
            </li>
          ))}
        </ol>
      </section>
    </section>
  )
}

function Postings(props: { item: TimelineItem }) {
  const id = props.item.details.transactionId ?? ''
  return (
    <table class="postings" aria-label={`Ledger entries of ${id}`}>
      <Head cols={['Account', 'Side', 'Amount', 'Balance after']} numeric={['Amount', 'Balance after']} />
      <tbody>
        {props.item.entries!.map((e, n) => (
          <tr key={n}>
            <td>
              <Link to={`/ledger/accounts/${encodeURIComponent(e.account)}`}>{e.account}</Link>
            </td>
            <td>{e.side}</td>
            <td class="num">{money(e.amount, e.currency)}</td>
            <td class="num">{money(e.balanceAfter, e.currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
