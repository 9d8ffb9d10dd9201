import { ErrorNote, Head, Link, when } from '../components'
import { money } from '../money'
import { useGet } from '../useApi'
import { entryDelta, type Transaction } from './types'

const account = (id: string) => <Link to={`/ledger/accounts/${encodeURIComponent(id)}`}>{id}</Link>

/** A ledger transaction with all its legs and the entries they made (balances after each). */
export function TransactionView(props: { id: string }) {
  const { data: t, error } = useGet<Transaction>(`/v1/transactions/${encodeURIComponent(props.id)}`)
  return (
    <section aria-labelledby="txn-title">
      <p>
        <Link to="/ledger">← Ledger</Link>
      </p>
      <h1 id="txn-title">Transaction {props.id}</h1>
      <ErrorNote error={error} />
      {t ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>{t.status}</dd>
            <dt>Created</dt>
            <dd>{when(t.createdAt)}</dd>
            <dt>Resolved</dt>
            <dd>{when(t.resolvedAt)}</dd>
            <dt>Idempotency key</dt>
            <dd>{t.idempotencyKey ? <code>{t.idempotencyKey}</code> : '—'}</dd>
            {Object.entries(t.metadata).map(([k, v]) => [
              <dt key={`k${k}`}>{k}</dt>,
              <dd key={`v${k}`}>{String(v)}</dd>,
            ])}
          </dl>
          <table aria-label="Legs">
            <Head
              cols={['Leg', 'From (debited)', 'To (credited)', 'Amount', 'Posted']}
              numeric={['Amount', 'Posted']}
            />
            <tbody>
              {t.legs.map((l, i) => (
                <tr key={i}>
                  <td>{i}</td>
                  <td>{account(l.source)}</td>
                  <td>{account(l.destination)}</td>
                  <td class="num">{money(l.amount, l.currency)}</td>
                  <td class="num">{t.postedAmounts?.[i] ? money(t.postedAmounts[i], l.currency) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table aria-label="Entries">
            <Head
              cols={['Account', 'Leg', 'Kind', 'Side', 'Amount', 'Balance after']}
              numeric={['Amount', 'Balance after']}
            />
            <tbody>
              {(t.entries ?? []).map((e) => (
                <tr key={`${e.accountId}-${e.seq}`}>
                  <td>{e.accountId ? account(e.accountId) : ''}</td>
                  <td>{e.leg}</td>
                  <td>{e.kind}</td>
                  <td>{e.side === 'D' ? 'debit' : 'credit'}</td>
                  <td class="num">{money(entryDelta(e), e.currency)}</td>
                  <td class="num">{money(e.balanceAfter.posted, e.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  )
}
