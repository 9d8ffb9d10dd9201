import { money } from '../money'
import { Head, text, when } from '../components'
import type { CaseDetail } from './types'

type Facts = Readonly<Record<string, unknown>>

/** The party the case is about, as the parties module holds it (names, identity, risk). */
export function PartyPanel(props: { party: Facts | null; partyId: string | null }) {
  const p = props.party
  const names = Array.isArray(p?.names) ? (p.names as { value: string; kind: string }[]) : []
  const risk: { level?: unknown; score?: unknown } = typeof p?.risk === 'object' && p.risk ? p.risk : {}
  return (
    <section aria-labelledby="party-title" class="card">
      <h2 id="party-title">Party</h2>
      {p ? (
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{text(p.id) || props.partyId}</code>
          </dd>
          <dt>Names</dt>
          <dd>{names.map((n) => `${n.value} (${n.kind})`).join('; ') || '—'}</dd>
          <dt>Kind</dt>
          <dd>{text(p.kind) || '—'}</dd>
          <dt>Born</dt>
          <dd>{text(p.birthDate) || '—'}</dd>
          <dt>Country</dt>
          <dd>{text(p.country) || '—'}</dd>
          <dt>Risk</dt>
          <dd>{text(risk.level) ? `${text(risk.level)} (${text(risk.score) || '?'})` : '—'}</dd>
          <dt>Status</dt>
          <dd>{text(p.status) || '—'}</dd>
        </dl>
      ) : (
        <p>
          {props.partyId ? (
            <>
              <code>{props.partyId}</code> is not a party the parties module knows (a customer id from
              monitoring).
            </>
          ) : (
            'No party recorded.'
          )}
        </p>
      )}
    </section>
  )
}

interface Txn {
  readonly id: string
  readonly at: string
  readonly amount: string
  readonly currency: string
  readonly kind: string
  readonly src: string
  readonly dst: string
}

/** The case's linked transactions with the facts recorded when they were linked (monitoring's txn). */
export function transactionsOf(detail: CaseDetail): Txn[] {
  return detail.links
    .filter((l) => l.type === 'transaction')
    .map((l) => ({
      id: l.ref,
      at: text(l.facts.at),
      amount: text(l.facts.amount),
      currency: text(l.facts.currency),
      kind: text(l.facts.kind),
      src: text(l.facts.src),
      dst: text(l.facts.dst),
    }))
    .sort((a, b) => a.at.localeCompare(b.at))
}

export function TransactionsTable(props: { txns: readonly Txn[] }) {
  return (
    <section aria-labelledby="txns-title" class="card wide">
      <h2 id="txns-title">Transactions</h2>
      <table>
        <Head cols={['Transaction', 'At', 'Kind', 'From', 'To', 'Amount']} numeric={['Amount']} />
        <tbody>
          {props.txns.map((t) => (
            <tr key={t.id}>
              <td>
                <code>{t.id}</code>
              </td>
              <td>{when(t.at || null)}</td>
              <td>{t.kind || '—'}</td>
              <td>{t.src || '—'}</td>
              <td>{t.dst || '—'}</td>
              <td class="num">{/^-?[0-9]+$/.test(t.amount) ? money(t.amount, t.currency) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.txns.length === 0 ? <p>No transactions linked.</p> : null}
    </section>
  )
}

/**
 * Counterparties as a graph: the case's subject in the middle, every other account on a circle, one
 * arrow per direction with the number of transactions. Many arrows in = fan-in, many out = fan-out,
 * arrows both ways = a cycle, visible at a glance; the table above says the same in words.
 */
export function CounterpartyGraph(props: { subject: string; txns: readonly Txn[] }) {
  const edges = new Map<string, { src: string; dst: string; n: number }>()
  for (const t of props.txns) {
    if (!t.src || !t.dst) continue
    const k = `${t.src}→${t.dst}`
    const e = edges.get(k) ?? { src: t.src, dst: t.dst, n: 0 }
    edges.set(k, { ...e, n: e.n + 1 })
  }
  const others = [...new Set([...edges.values()].flatMap((e) => [e.src, e.dst]))].filter(
    (a) => a !== props.subject,
  )
  if (edges.size === 0) return null
  const W = 520
  const H = 300
  const pos = new Map<string, [number, number]>([[props.subject, [W / 2, H / 2]]])
  others.forEach((a, i) => {
    const angle = (2 * Math.PI * i) / others.length - Math.PI / 2
    pos.set(a, [W / 2 + 200 * Math.cos(angle), H / 2 + 110 * Math.sin(angle)])
  })
  const inbound = [...edges.values()].filter((e) => e.dst === props.subject).length
  const outbound = [...edges.values()].filter((e) => e.src === props.subject).length
  const label = `${props.subject}: ${inbound} counterparties pay in, ${outbound} are paid out`
  return (
    <section aria-labelledby="graph-title" class="card wide">
      <h2 id="graph-title">Counterparties</h2>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label={label} class="graph">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#0b4f9c" />
          </marker>
        </defs>
        {[...edges.values()].map((e) => {
          const [x1, y1] = pos.get(e.src)!
          const [x2, y2] = pos.get(e.dst)!
          // Stop short of the node's label box so the arrow head shows.
          const d = Math.hypot(x2 - x1, y2 - y1) || 1
          const k = 30 / d
          return (
            <g key={`${e.src}→${e.dst}`}>
              <line
                x1={x1 + (x2 - x1) * k}
                y1={y1 + (y2 - y1) * k}
                x2={x2 - (x2 - x1) * k}
                y2={y2 - (y2 - y1) * k}
                stroke="#0b4f9c"
                stroke-width={1 + Math.min(e.n, 5)}
                marker-end="url(#arrow)"
              />
              <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} class="edge">
                {e.n}×
              </text>
            </g>
          )
        })}
        {[...pos.entries()].map(([a, [x, y]]) => (
          <text
            key={a}
            x={x}
            y={y + 4}
            text-anchor="middle"
            class={a === props.subject ? 'node subject' : 'node'}
          >
            {a}
          </text>
        ))}
      </svg>
    </section>
  )
}
