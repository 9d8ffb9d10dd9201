import { useState } from 'preact/hooks'
import { ErrorNote, Link } from '../components'
import { href } from '../router'
import { useGet } from '../useApi'
import { PaymentsTabs } from './PaymentsTabs'
import { StrayChargesTable } from './StrayChargesTable'
import type { StrayCharge } from './types'

/** Failed first and by default: those are the only ones the sweeper leaves to an operator. */
const FILTERS = [
  { id: 'failed', label: 'Failed' },
  { id: 'pending', label: 'Pending' },
  { id: 'reversed', label: 'Reversed' },
  { id: 'all', label: 'All statuses' },
] as const
type Filter = (typeof FILTERS)[number]['id']

/** What an empty list means under each filter; under "failed", that there is nothing to do. */
const EMPTY: Record<Filter, string> = {
  failed: 'Nothing to act on: no stray charge is waiting to be reversed by hand.',
  pending: 'Nothing pending: the sweeper has no stray charge left to reverse.',
  reversed: 'No stray charge has been reversed.',
  all: 'No stray charges: no gateway has charged a payment booked elsewhere.',
}

/** GET /v1/stray-charges has no pages: the newest this many are shown, and the caption says so. */
const LIMIT = 200

/**
 * Stray charges (ADR 0506): money a gateway took for a payment booked at another gateway, or canceled.
 * The sweeper reverses each one there; those it could not are the operator's work list. The filter is
 * in the URL, like every list's. An operator who can write payments marks one reversed by hand once it
 * is done at the gateway; the list then reloads, and under "failed" it is gone.
 */
/** `canWrite` only offers the action: the API refuses it anyway without payments:write. */
export function StrayCharges(props: { query: URLSearchParams; canWrite: boolean }) {
  const filter: Filter = FILTERS.find((f) => f.id === props.query.get('status'))?.id ?? 'failed'
  const [reload, setReload] = useState(0)
  const [done, setDone] = useState<string | null>(null)
  const { data, error, loading } = useGet<{ items: StrayCharge[] }>(
    href('/v1/stray-charges', { status: filter === 'all' ? undefined : filter, limit: String(LIMIT) }),
    reload,
  )
  const items = data?.items ?? []
  const onResolved = (r: StrayCharge) => {
    setDone(`Stray charge ${r.gatewayRef} of payment ${r.paymentId} is marked reversed by hand.`)
    setReload((n) => n + 1)
  }
  return (
    <section aria-labelledby="stray-charges-title">
      <h1 id="stray-charges-title">Stray charges</h1>
      <PaymentsTabs current="stray-charges" />
      <p>
        A gateway charged a payment that is booked at another gateway, or was canceled: the customer paid
        twice. The sweeper voids or refunds the charge at that gateway. When it fails, void or refund it there
        by hand (the last error says what the gateway answered), then mark it reversed here.
      </p>
      <nav aria-label="Stray charges by status" class="tabs">
        {FILTERS.map((f) => (
          <Link
            key={f.id}
            to={href('/payments/stray-charges', { status: f.id === 'failed' ? undefined : f.id })}
            current={f.id === filter}
          >
            {f.label}
          </Link>
        ))}
      </nav>
      <ErrorNote error={error} />
      {done ? (
        <p role="status" class="ok">
          {done}
        </p>
      ) : null}
      {data && items.length === 0 ? (
        <p>{EMPTY[filter]}</p>
      ) : (
        <StrayChargesTable
          items={items}
          loading={loading}
          withPayment
          {...(props.canWrite ? { onResolved } : {})}
          caption={`Newest first${items.length === LIMIT ? `; only the newest ${LIMIT} are shown` : ''}.`}
        />
      )}
    </section>
  )
}
