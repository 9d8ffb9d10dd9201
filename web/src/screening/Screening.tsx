import { useState } from 'preact/hooks'
import { api } from '../api'
import type { Hit } from '../case/ScreeningHit'
import { ErrorNote, Head, Link, Pager, when } from '../components'
import { href } from '../router'
import { useAction, useGet } from '../useApi'
import type { Snapshot } from './types'

/** Screening: check a name against the loaded lists, the snapshots loaded (with their diffs), and the false-positive memory. */
export function Screening(props: { query: URLSearchParams; canCheck: boolean }) {
  return (
    <section aria-labelledby="screening-title">
      <h1 id="screening-title">Screening</h1>
      {props.canCheck ? <CheckName /> : null}
      <Snapshots />
      <Decisions query={props.query} />
    </section>
  )
}

function CheckName() {
  const [name, setName] = useState('')
  const [result, setResult] = useState<{ hits: Hit[]; suppressed: Hit[] } | null>(null)
  const action = useAction()
  const submit = (e: Event) => {
    e.preventDefault()
    // No subject id: a look-up only, it raises no alert and is not remembered.
    action.run(async () =>
      setResult(await api('POST', '/v1/screening/check', { body: { name: name.trim(), limit: 20 } })),
    )
  }
  return (
    <section aria-labelledby="check-title" class="panel">
      <h2 id="check-title">Check a name</h2>
      <form class="filters" aria-label="Check a name" onSubmit={submit}>
        <label>
          Name
          <input
            name="name"
            required
            maxLength={500}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={action.busy}>
          Check
        </button>
      </form>
      <ErrorNote error={action.error} />
      {result ? (
        <table aria-label="Screening results">
          <caption>
            {result.hits.length} possible match(es)
            {result.suppressed.length ? `, ${result.suppressed.length} remembered as not a match` : ''}.
          </caption>
          <Head cols={['Score', 'List entry', 'List', 'Why']} numeric={['Score']} />
          <tbody>
            {[...result.hits, ...result.suppressed].map((h) => (
              <tr key={`${h.listId}:${h.entryKey}`}>
                <td class="num">{h.score.toFixed(2)}</td>
                <td>
                  {h.primaryName} <code>{h.entryKey}</code>
                </td>
                <td>{h.listId}</td>
                <td>{h.explanation.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  )
}

function Snapshots() {
  const { data, error, loading } = useGet<{ snapshots: Snapshot[] }>('/v1/screening/snapshots')
  const now = Date.now()
  return (
    <section aria-labelledby="snapshots-title">
      <h2 id="snapshots-title">List snapshots</h2>
      <ErrorNote error={error} />
      <table aria-labelledby="snapshots-title" aria-busy={loading}>
        <Head
          cols={['List', 'Snapshot', 'Loaded', 'Age', 'Entries', 'Added', 'Removed', 'Changed']}
          numeric={['Entries', 'Added', 'Removed', 'Changed']}
        />
        <tbody>
          {(data?.snapshots ?? []).map((s) => (
            <tr key={s.snapshotId}>
              <td>
                {s.listId}
                {s.active ? ' (active)' : ''}
              </td>
              <td>
                <Link to={`/screening/snapshots/${encodeURIComponent(s.snapshotId)}`}>{s.snapshotId}</Link>
              </td>
              <td>{when(s.importedAt)}</td>
              <td>{age(now - Date.parse(s.importedAt))}</td>
              <td class="num">{s.entryCount}</td>
              <td class="num">{s.added}</td>
              <td class="num">{s.removed}</td>
              <td class="num">{s.changed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.snapshots.length === 0 ? <p>No list loaded yet (moneta screening load).</p> : null}
    </section>
  )
}

export const age = (ms: number): string =>
  ms < 3_600_000
    ? `${Math.round(ms / 60_000)} min`
    : ms < 172_800_000
      ? `${Math.round(ms / 3_600_000)} h`
      : `${Math.round(ms / 86_400_000)} days`

interface Decision {
  readonly decisionId: string
  readonly subjectId: string
  readonly listId: string
  readonly entryKey: string
  readonly decision: string
  readonly analyst: string
  readonly reason: string
  readonly createdAt: string
}

function Decisions(props: { query: URLSearchParams }) {
  const before = props.query.get('before') ?? ''
  const { data, error, loading } = useGet<{ items: Decision[]; next: string | null }>(
    href('/v1/screening/decisions', { limit: '25', before: before || undefined }),
  )
  return (
    <section aria-labelledby="memory-title">
      <h2 id="memory-title">False-positive memory</h2>
      <p>
        Decisions analysts made on hits, newest first. A “not a match” keeps the hit quiet until the
        customer's details or the list entry change.
      </p>
      <ErrorNote error={error} />
      <table aria-labelledby="memory-title" aria-busy={loading}>
        <Head cols={['When', 'Subject', 'List entry', 'Decision', 'Analyst', 'Reason']} />
        <tbody>
          {(data?.items ?? []).map((d) => (
            <tr key={d.decisionId}>
              <td>{when(d.createdAt)}</td>
              <td>{d.subjectId}</td>
              <td>
                {d.listId} <code>{d.entryKey}</code>
              </td>
              <td>{d.decision.replaceAll('_', ' ')}</td>
              <td>{d.analyst}</td>
              <td>{d.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p>No decisions yet.</p> : null}
      <Pager
        label="Decisions"
        first={before ? '/screening' : null}
        next={data?.next ? href('/screening', { before: data.next }) : null}
      />
    </section>
  )
}
