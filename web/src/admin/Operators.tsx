import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head, when } from '../components'
import { useAction, useGet } from '../useApi'

interface Operator {
  readonly id: string
  readonly email: string
  readonly role: string
  readonly mfaEnrolled: boolean
  readonly lockedUntil: string | null
  readonly createdAt: string
}

const ROLES = ['analyst', 'operator', 'auditor', 'read_only', 'admin'] as const

/** Operators of the tenant: create, unlock, reset the second factor, disable (each audited by the API). */
export function Operators() {
  const [reload, setReload] = useState(0)
  const { data, error } = useGet<{ data: Operator[] }>('/v1/operators', reload)
  const action = useAction()
  const [done, setDone] = useState<string | null>(null)
  const changed = (text: string) => () => {
    setDone(text)
    setReload((n) => n + 1)
  }
  const act = (o: Operator, path: string, text: string) =>
    action.run(() => api('POST', `/v1/operators/${encodeURIComponent(o.id)}/${path}`), changed(text))
  return (
    <section aria-labelledby="operators-title">
      <h2 id="operators-title">Operators</h2>
      <CreateOperator onCreated={changed('Operator created.')} />
      <ErrorNote error={error ?? action.error} />
      {done ? (
        <p role="status" class="ok">
          {done}
        </p>
      ) : null}
      <table>
        <Head cols={['Email', 'Role', 'Second factor', 'Locked until', 'Created', 'Actions']} />
        <tbody>
          {(data?.data ?? []).map((o) => (
            <tr key={o.id}>
              <td>{o.email}</td>
              <td>{o.role}</td>
              <td>{o.mfaEnrolled ? 'enrolled' : 'not enrolled'}</td>
              <td>{o.lockedUntil ? when(o.lockedUntil) : '—'}</td>
              <td>{when(o.createdAt)}</td>
              <td class="actions">
                <button
                  type="button"
                  disabled={action.busy}
                  aria-label={`Unlock ${o.email}`}
                  onClick={() => act(o, 'unlock', `${o.email} unlocked.`)}
                >
                  Unlock
                </button>
                {o.mfaEnrolled ? (
                  <button
                    type="button"
                    disabled={action.busy}
                    aria-label={`Reset MFA of ${o.email}`}
                    onClick={() => act(o, 'mfa/reset', `${o.email} enrols again at the next sign-in.`)}
                  >
                    Reset MFA
                  </button>
                ) : null}
                <button
                  type="button"
                  disabled={action.busy}
                  aria-label={`Disable ${o.email}`}
                  onClick={() => {
                    if (confirm(`Disable ${o.email}? Their sessions end and their API keys are revoked.`))
                      act(o, 'disable', `${o.email} disabled.`)
                  }}
                >
                  Disable
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function CreateOperator(props: { onCreated: () => void }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [role, setRole] = useState<string>('analyst')
  const action = useAction()
  const submit = (e: Event) => {
    e.preventDefault()
    action.run(
      () => api('POST', '/v1/operators', { body: { email, password, role } }),
      () => {
        setEmail('')
        setPassword('')
        props.onCreated()
      },
    )
  }
  return (
    <form class="filters" aria-label="New operator" onSubmit={submit}>
      <label>
        Email
        <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>
        Initial password
        <input
          type="password"
          required
          minLength={12}
          autoComplete="new-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy}>
        Create operator
      </button>
      <ErrorNote error={action.error} />
    </form>
  )
}
