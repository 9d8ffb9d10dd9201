import { ErrorNote, Head, Link, Pager } from '../components'
import { money } from '../money'
import { navigate, href } from '../router'
import { useGet } from '../useApi'
import type { Account } from './types'
import { VerifyPanel } from './VerifyPanel'

/** The account explorer: every account with its balances (keyset pages), a jump to one, the verify check. */
export function Accounts(props: { query: URLSearchParams }) {
  const after = props.query.get('after') ?? ''
  const { data, error, loading } = useGet<{ items: Account[]; next: string | null }>(
    href('/v1/accounts', { limit: '25', after: after || undefined }),
  )
  const open = (e: Event) => {
    e.preventDefault()
    const id = new FormData(e.currentTarget as HTMLFormElement).get('account')
    if (typeof id === 'string' && id.trim()) navigate(`/ledger/accounts/${encodeURIComponent(id.trim())}`)
  }
  return (
    <section aria-labelledby="ledger-title">
      <h1 id="ledger-title">Ledger</h1>
      <form class="filters" aria-label="Open an account" onSubmit={open}>
        <label>
          Account id
          <input name="account" maxLength={64} />
        </label>
        <button type="submit">Open</button>
      </form>
      <VerifyPanel />
      <ErrorNote error={error} />
      <table aria-busy={loading}>
        <caption>Accounts and their balances now, on each account's normal side.</caption>
        <Head
          cols={['Account', 'Currency', 'Normal side', 'Posted', 'Available']}
          numeric={['Posted', 'Available']}
        />
        <tbody>
          {(data?.items ?? []).map((a) => (
            <tr key={a.id}>
              <td>
                <Link to={`/ledger/accounts/${encodeURIComponent(a.id)}`}>{a.id}</Link>
              </td>
              <td>{a.currency}</td>
              <td>{a.normalSide}</td>
              <td class="num">{money(a.balances.posted, a.currency)}</td>
              <td class="num">{money(a.balances.available, a.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p>No accounts yet.</p> : null}
      <Pager
        label="Accounts"
        first={after ? '/ledger' : null}
        next={data?.next ? href('/ledger', { after: data.next }) : null}
      />
    </section>
  )
}
