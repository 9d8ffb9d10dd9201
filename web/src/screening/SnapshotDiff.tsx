import { ErrorNote, Head, Link, Pager } from '../components'
import { href } from '../router'
import { useGet } from '../useApi'
import type { EntryData } from './types'

interface Change {
  readonly entryKey: string
  readonly change: 'added' | 'removed' | 'changed'
  readonly data: EntryData
  readonly before: EntryData | null
}

const FIELDS = ['names', 'dobs', 'countries', 'programs', 'identifiers', 'remarks'] as const
const show = (v: unknown): string =>
  Array.isArray(v)
    ? v
        .map((x) => (typeof x === 'string' ? x : ((x as { name?: string }).name ?? JSON.stringify(x))))
        .join('; ')
    : typeof v === 'string'
      ? v
      : ''
const nameOf = (d: EntryData | null): string => show(d?.names?.slice(0, 1) ?? [])

/** What one snapshot changed: entries added, removed, and changed field by field (before → after). */
export function SnapshotDiff(props: { id: string; query: URLSearchParams }) {
  const change = props.query.get('change') ?? ''
  const after = props.query.get('after') ?? ''
  const here = `/screening/snapshots/${encodeURIComponent(props.id)}`
  const { data, error, loading } = useGet<{ items: Change[]; next: string | null }>(
    href(`/v1/screening/snapshots/${encodeURIComponent(props.id)}/changes`, {
      change: change || undefined,
      after: after || undefined,
      limit: '50',
    }),
  )
  return (
    <section aria-labelledby="diff-title">
      <p>
        <Link to="/screening">← Screening</Link>
      </p>
      <h1 id="diff-title">Snapshot {props.id}</h1>
      <nav aria-label="Kinds of change" class="tabs">
        {['', 'added', 'removed', 'changed'].map((c) => (
          <Link key={c} to={href(here, { change: c || undefined })} current={c === change}>
            {c || 'all'}
          </Link>
        ))}
      </nav>
      <ErrorNote error={error} />
      <table aria-labelledby="diff-title" aria-busy={loading}>
        <Head cols={['Entry', 'Change', 'Name', 'What changed']} />
        <tbody>
          {(data?.items ?? []).map((c) => (
            <tr key={c.entryKey} class={`change-${c.change}`}>
              <td>
                <code>{c.entryKey}</code>
              </td>
              <td>{c.change}</td>
              <td>{nameOf(c.data) || nameOf(c.before)}</td>
              <td>
                {c.change === 'changed' && c.before ? (
                  <ul class="diff">
                    {FIELDS.filter((f) => show(c.before![f]) !== show(c.data[f])).map((f) => (
                      <li key={f}>
                        {f}: <del>{show(c.before![f]) || '—'}</del> → <ins>{show(c.data[f]) || '—'}</ins>
                      </li>
                    ))}
                  </ul>
                ) : c.change === 'added' ? (
                  show(c.data.programs)
                ) : (
                  'no longer on the list'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p>No changes of this kind.</p> : null}
      <Pager
        label="Changes"
        first={after ? href(here, { change: change || undefined }) : null}
        next={data?.next ? href(here, { change: change || undefined, after: data.next }) : null}
      />
    </section>
  )
}
