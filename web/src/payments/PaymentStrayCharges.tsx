import { ErrorNote } from '../components'
import { useGet } from '../useApi'
import { StrayChargesTable } from './StrayChargesTable'
import type { StrayCharge } from './types'

/**
 * A payment's stray charges (ADR 0506) and their reversal. Most payments have none, and then nothing is
 * shown: the section is there to explain a second charge the customer asks about. `onResolved` (an
 * operator who can write payments) offers to mark a failed one reversed by hand.
 */
export function PaymentStrayCharges(props: {
  paymentId: string
  reload: number
  onResolved?: (resolved: StrayCharge) => void
}) {
  const { data, error, loading } = useGet<{ items: StrayCharge[] }>(
    `/v1/payments/${encodeURIComponent(props.paymentId)}/stray-charges`,
    props.reload,
  )
  if (error) return <ErrorNote error={error} />
  if (!data || data.items.length === 0) return null
  return (
    <section aria-labelledby="stray-charges-title">
      <h2 id="stray-charges-title">Stray charges</h2>
      <StrayChargesTable
        items={data.items}
        loading={loading}
        {...(props.onResolved ? { onResolved: props.onResolved } : {})}
        caption="Charged at a gateway this payment is not booked at, and how each charge was reversed there."
      />
    </section>
  )
}
