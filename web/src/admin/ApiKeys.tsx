import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head, when } from '../components'
import { useAction, useGet } from '../useApi'

interface Key {
  readonly id: string
  readonly name: string | null
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly role: string | null
  readonly createdAt: string
  readonly expiresAt: string | null
}

/**
 * API keys: create with scopes (the API refuses scopes the admin does not hold), rotate with an overlap
 * (the old key keeps working for a day), revoke now. A new key is shown once, here, and never again.
 */
export function ApiKeys() {
  const [reload, setReload] = useState(0)
  const { data, error } = useGet<{ data: Key[] }>('/v1/api-keys', reload)
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null)
  const action = useAction()
  const reveal = (k: Key & { key: string }) => {
    setShown({ name: k.name ?? k.prefix, key: k.key })
    setReload((n) => n + 1)
  }
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <CreateKey onCreated={reveal} />
      {shown ? (
        <p role="status" class="ok">
          New key for {shown.name} (copy it now, it is not shown again):{' '}
          <code data-testid="new-key">{shown.key}</code>
        </p>
      ) : null}
      <ErrorNote error={error ?? action.error} />
      <table>
        <Head cols={['Name', 'Prefix', 'Scopes', 'Created', 'Expires', 'Actions']} />
        <tbody>
          {(data?.data ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name ?? '—'}</td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td>{k.role ? `role ${k.role}` : k.scopes.join(' ')}</td>
              <td>{when(k.createdAt)}</td>
              <td>{k.expiresAt ? when(k.expiresAt) : 'never'}</td>
              <td class="actions">
                <button
                  type="button"
                  disabled={action.busy}
                  aria-label={`Rotate ${k.name ?? k.prefix}`}
                  onClick={() =>
                    action.run(async () =>
                      reveal(
                        await api<Key & { key: string }>('POST', `/v1/api-keys/${k.id}/rotate`, { body: {} }),
                      ),
                    )
                  }
                >
                  Rotate
                </button>
                <button
                  type="button"
                  disabled={action.busy}
                  aria-label={`Revoke ${k.name ?? k.prefix}`}
                  onClick={() => {
                    if (confirm(`Revoke ${k.name ?? k.prefix} now?`))
                      action.run(
                        () => api('DELETE', `/v1/api-keys/${k.id}`),
                        () => setReload((n) => n + 1),
                      )
                  }}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function CreateKey(props: { onCreated: (k: Key & { key: string }) => void }) {
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState('payments:read')
  const action = useAction()
  const submit = (e: Event) => {
    e.preventDefault()
    action.run(async () => {
      const list = scopes.split(/[\s,]+/).filter(Boolean)
      props.onCreated(
        await api<Key & { key: string }>('POST', '/v1/api-keys', { body: { name, scopes: list } }),
      )
      setName('')
    })
  }
  return (
    <form class="filters" aria-label="New API key" onSubmit={submit}>
      <label>
        Key name
        <input required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Scopes (space-separated, e.g. payments:read ledger:*)
        <input required size={40} value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Create key
      </button>
      <ErrorNote error={action.error} />
    </form>
  )
}
