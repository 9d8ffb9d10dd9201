import { useCallback, useEffect, useState } from 'preact/hooks'
import { Admin, adminSections } from './admin/Admin'
import { api, can, token, type Session } from './api'
import { CaseView } from './CaseView'
import { CasesQueue } from './CasesQueue'
import { Link } from './components'
import { Market } from './market/Market'
import { Overview } from './overview/Overview'
import { Screening } from './screening/Screening'
import { SnapshotDiff } from './screening/SnapshotDiff'
import { Accounts } from './ledger/Accounts'
import { AccountView } from './ledger/AccountView'
import { TransactionView } from './ledger/TransactionView'
import { IdleWarning } from './IdleWarning'
import { Monitoring } from './monitoring/Monitoring'
import { PaymentsList } from './payments/PaymentsList'
import { PaymentView } from './payments/PaymentView'
import { StrayCharges } from './payments/StrayCharges'
import { navigate, useLocation } from './router'
import { SignIn } from './SignIn'

/** Screens and the permission each needs: a screen the role cannot use is not offered. */
const SCREENS: readonly { path: string; label: string; allowed: (s: Session) => boolean }[] = [
  {
    path: '/overview',
    label: 'Overview',
    allowed: (s) =>
      ['payments:read', 'ledger:read', 'cases:read', 'monitoring:read', 'screening:read'].some((p) =>
        can(s, p),
      ),
  },
  { path: '/cases', label: 'Cases', allowed: (s) => can(s, 'cases:read') },
  { path: '/payments', label: 'Payments', allowed: (s) => can(s, 'payments:read') },
  { path: '/ledger', label: 'Ledger', allowed: (s) => can(s, 'ledger:read') },
  { path: '/screening', label: 'Screening', allowed: (s) => can(s, 'screening:read') },
  { path: '/monitoring', label: 'Monitoring', allowed: (s) => can(s, 'monitoring:read') },
  { path: '/market', label: 'Market', allowed: (s) => can(s, 'market:read') },
  { path: '/admin', label: 'Admin', allowed: (s) => adminSections(s).length > 0 },
]

export function App() {
  const [session, setSession] = useState<Session | null>(null)
  const [checked, setChecked] = useState(false)
  const loc = useLocation()

  const load = useCallback(async () => {
    if (!token.get()) return setChecked(true)
    try {
      const s = await api<Session>('GET', '/v1/auth/session')
      setSession(s.mfaEnrollmentRequired ? null : s)
      if (s.mfaEnrollmentRequired) token.clear()
    } catch {
      token.clear()
      setSession(null)
    }
    setChecked(true)
  }, [])
  useEffect(() => {
    void load()
    const out = () => {
      token.clear()
      setSession(null)
    }
    window.addEventListener('moneta:signed-out', out)
    return () => window.removeEventListener('moneta:signed-out', out)
  }, [load])

  if (!checked) return <p class="loading">Loading…</p>
  if (!session) return <SignIn onSignedIn={() => void load()} />

  const screens = SCREENS.filter((s) => s.allowed(session))
  const signOut = async () => {
    await api('POST', '/v1/auth/logout').catch(() => undefined)
    token.clear()
    setSession(null)
    navigate('/')
  }
  const top = '/' + (loc.path.split('/')[1] ?? '')
  return (
    <div class="shell">
      <header>
        <span class="brand">Moneta</span>
        <nav aria-label="Screens">
          {screens.map((s) => (
            <Link key={s.path} to={s.path} current={top === s.path}>
              {s.label}
            </Link>
          ))}
        </nav>
        <span class="who">
          {session.email} · {session.role}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      {session.idleTimeoutSeconds ? (
        <IdleWarning idleSeconds={session.idleTimeoutSeconds} onExpired={() => void signOut()} />
      ) : null}
      <main>
        {route(
          loc.path,
          loc.query,
          session,
          screens.map((s) => s.path),
        )}
      </main>
    </div>
  )
}

function route(path: string, query: URLSearchParams, session: Session, allowed: readonly string[]) {
  const caseMatch = /^\/cases\/([^/]+)$/.exec(path)
  if (caseMatch && allowed.includes('/cases'))
    return <CaseView id={decodeURIComponent(caseMatch[1]!)} session={session} />
  if (path === '/cases' && allowed.includes('/cases')) return <CasesQueue query={query} session={session} />
  // Before a payment's own address, which would take "stray-charges" for an id (payment ids are pay_…).
  if (path === '/payments/stray-charges' && allowed.includes('/payments'))
    return <StrayCharges query={query} canWrite={can(session, 'payments:write')} />
  const paymentMatch = /^\/payments\/([^/]+)$/.exec(path)
  if (paymentMatch && allowed.includes('/payments'))
    return <PaymentView id={decodeURIComponent(paymentMatch[1]!)} canWrite={can(session, 'payments:write')} />
  if (path === '/payments' && allowed.includes('/payments')) return <PaymentsList query={query} />
  const ledger = /^\/ledger(?:\/(accounts|transactions)\/([^/]+))?$/.exec(path)
  if (ledger && allowed.includes('/ledger')) {
    const id = ledger[2] ? decodeURIComponent(ledger[2]) : ''
    if (ledger[1] === 'accounts') return <AccountView key={id} id={id} query={query} />
    if (ledger[1] === 'transactions') return <TransactionView key={id} id={id} />
    return <Accounts query={query} />
  }
  if (path === '/overview' && allowed.includes('/overview')) return <Overview session={session} />
  const snapshot = /^\/screening\/snapshots\/([^/]+)$/.exec(path)
  if (snapshot && allowed.includes('/screening'))
    return <SnapshotDiff id={decodeURIComponent(snapshot[1]!)} query={query} />
  if (path === '/screening' && allowed.includes('/screening'))
    return <Screening query={query} canCheck={can(session, 'screening:write')} />
  if (path === '/market' && allowed.includes('/market')) return <Market />
  const adminMatch = /^\/admin(?:\/([a-z-]+))?$/.exec(path)
  if (adminMatch && allowed.includes('/admin'))
    return <Admin section={adminMatch[1] ?? ''} query={query} session={session} />
  if (path === '/monitoring' && allowed.includes('/monitoring'))
    return <Monitoring query={query} canWrite={can(session, 'monitoring:write')} />
  if (path === '/' || path === '') {
    const first = allowed[0]
    return first ? <Redirect to={first} /> : <p>Your role has no console screens yet.</p>
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>No screen at this address, or your role cannot open it.</p>
    </section>
  )
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, true), [props.to])
  return null
}
