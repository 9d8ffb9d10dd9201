import { Fragment } from 'preact'
import { useState } from 'preact/hooks'
import { Head, Link, when } from '../components'
import { money } from '../money'
import { ResolveStrayCharge } from './ResolveStrayCharge'
import type { StrayCharge } from './types'

/** What undid a charge, in an operator's words (the API's codes name the gateway call). */
const REVERSAL_LABEL: Record<NonNullable<StrayCharge['reversal']>, string> = {
  canceled: 'authorisation voided',
  refunded: 'capture refunded',
  none: 'nothing was held',
}

/**
 * Stray charges and their reversal. `withPayment` adds the payment each was taken for: the tenant's
 * list needs it, a payment's own screen does not. With `onResolved` (an operator who can write payments),
 * a failed charge can be marked reversed by hand; its form opens in a row under it, so the table stays
 * one line per charge otherwise.
 */
export function StrayChargesTable(props: {
  items: readonly StrayCharge[]
  caption: string
  loading: boolean
  withPayment?: boolean
  onResolved?: (resolved: StrayCharge) => void
}) {
  const [open, setOpen] = useState<string | null>(null)
  const onResolved = props.onResolved
  const payment = props.withPayment ? ['Payment'] : []
  const cols = ['Created', 'Amount', 'Gateway', ...payment, 'Status', 'Reversal', 'Attempts', 'Last error']
  return (
    <table aria-busy={props.loading}>
      <caption>{props.caption}</caption>
      <Head cols={cols} numeric={['Amount', 'Attempts']} />
      <tbody>
        {props.items.map((s) => (
          <Fragment key={s.id}>
            <tr>
              <td>{when(s.createdAt)}</td>
              <td class="num">{money(s.amount, s.currency)}</td>
              <td>
                {s.gateway} <code>{s.gatewayRef}</code>
              </td>
              {props.withPayment ? (
                <td>
                  <Link to={`/payments/${encodeURIComponent(s.paymentId)}`}>{s.paymentId}</Link>
                </td>
              ) : null}
              <td>
                {s.status}
                {onResolved && s.status === 'failed' && open !== s.id ? (
                  <>
                    {' '}
                    <button
                      type="button"
                      class="link"
                      aria-label={`Mark reversed by hand: ${s.gatewayRef}`}
                      onClick={() => setOpen(s.id)}
                    >
                      Mark reversed by hand
                    </button>
                  </>
                ) : null}
              </td>
              <td>
                {s.reversal ? REVERSAL_LABEL[s.reversal] : '—'}{' '}
                {s.reversalRef ? <code>{s.reversalRef}</code> : null}
                {s.reversalFee !== null ? ` fee kept ${money(s.reversalFee, s.currency)}` : null}
                {s.resolvedBy ? (
                  <div class="note">
                    by hand: {s.note} (<code>{s.resolvedBy}</code>)
                  </div>
                ) : null}
              </td>
              <td class="num">{s.attempts}</td>
              <td>{s.lastError ?? '—'}</td>
            </tr>
            {onResolved && open === s.id ? (
              <tr>
                <td colSpan={cols.length}>
                  <ResolveStrayCharge
                    charge={s}
                    onCancel={() => setOpen(null)}
                    onDone={(resolved) => {
                      setOpen(null)
                      onResolved(resolved)
                    }}
                  />
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  )
}
