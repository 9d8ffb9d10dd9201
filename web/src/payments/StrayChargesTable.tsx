import { Head, Link, when } from '../components'
import { money } from '../money'
import type { StrayCharge } from './types'

/** What undid a charge, in an operator's words (the API's codes name the gateway call). */
const REVERSAL_LABEL: Record<NonNullable<StrayCharge['reversal']>, string> = {
  canceled: 'authorisation voided',
  refunded: 'capture refunded',
  none: 'nothing was held',
}

/**
 * Stray charges and their reversal. `withPayment` adds the payment each was taken for: the tenant's
 * list needs it, a payment's own screen does not.
 */
export function StrayChargesTable(props: {
  items: readonly StrayCharge[]
  caption: string
  loading: boolean
  withPayment?: boolean
}) {
  const cols = ['Created', 'Amount', 'Gateway', ...(props.withPayment ? ['Payment'] : [])]
  return (
    <table aria-busy={props.loading}>
      <caption>{props.caption}</caption>
      <Head
        cols={[...cols, 'Status', 'Reversal', 'Attempts', 'Last error']}
        numeric={['Amount', 'Attempts']}
      />
      <tbody>
        {props.items.map((s) => (
          <tr key={s.id}>
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
            <td>{s.status}</td>
            <td>
              {s.reversal ? REVERSAL_LABEL[s.reversal] : '—'}{' '}
              {s.reversalRef ? <code>{s.reversalRef}</code> : null}
            </td>
            <td class="num">{s.attempts}</td>
            <td>{s.lastError ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
