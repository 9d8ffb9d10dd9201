import { Link } from '../components'

/** The Payments area's lists: stray charges sit beside the payments they were taken for. */
const VIEWS = [
  { id: 'payments', label: 'All payments', to: '/payments' },
  { id: 'stray-charges', label: 'Stray charges', to: '/payments/stray-charges' },
] as const

export function PaymentsTabs(props: { current: (typeof VIEWS)[number]['id'] }) {
  return (
    <nav aria-label="Payments views" class="tabs">
      {VIEWS.map((v) => (
        <Link key={v.id} to={v.to} current={v.id === props.current}>
          {v.label}
        </Link>
      ))}
    </nav>
  )
}
