import type { Session } from './api'
import type { CaseSummary } from './case/types'
import { Choice, ErrorNote, Head, Link, Pager, when } from './components'
import { href } from './router'
import { useGet } from './useApi'

type CaseRow = CaseSummary & { readonly alertCount: number }

const VIEWS = [
  { id: 'open', label: 'All open' },
  { id: 'mine', label: 'Mine' },
  { id: 'unassigned', label: 'Unassigned' },
  { id: 'overdue', label: 'Overdue' },
] as const
type View = (typeof VIEWS)[number]['id']
const STATUSES = ['', 'open', 'investigating', 'escalated', 'closed'] as const
const KINDS = ['', 'screening', 'monitoring', 'market'] as const
const PRIORITIES = ['', '1', '2', '3', '4'] as const

/**
 * The analyst's queue, most urgent first (the API orders by priority, then due date), one keyset page at a
 * time; view, filters and the page cursor are in the URL.
 */
export function CasesQueue(props: { query: URLSearchParams; session: Session }) {
  const q = props.query
  const view: View = VIEWS.find((v) => v.id === q.get('view'))?.id ?? 'open'
  const status = q.get('status') ?? ''
  const kind = q.get('kind') ?? ''
  const priority = q.get('priority') ?? ''
  const cursor = q.get('cursor') ?? ''
  const here = {
    view: view === 'open' ? undefined : view,
    status: status || undefined,
    kind: kind || undefined,
    priority: priority || undefined,
  }
  const apiPath = href('/v1/cases', {
    ...(view === 'mine' ? { assignee: props.session.actor } : {}),
    ...(view === 'unassigned' ? { unassigned: 'true' } : {}),
    ...(view === 'overdue' ? { overdue: 'true' } : {}),
    status: status || undefined,
    kind: kind || undefined,
    priority: priority || undefined,
    limit: '25',
    cursor: cursor || undefined,
  })
  const { data, error, loading } = useGet<{ cases: CaseRow[]; next?: string | null }>(apiPath)

  return (
    <section aria-labelledby="cases-title">
      <h1 id="cases-title">Cases</h1>
      <nav aria-label="Queue views" class="tabs">
        {VIEWS.map((v) => (
          <Link
            key={v.id}
            to={href('/cases', { ...here, view: v.id === 'open' ? undefined : v.id })}
            current={v.id === view}
          >
            {v.label}
          </Link>
        ))}
      </nav>
      <form class="filters" aria-label="Case filters" method="get" action="/console/cases">
        {view !== 'open' ? <input type="hidden" name="view" value={view} /> : null}
        <Choice label="Status" name="status" value={status} options={STATUSES} />
        <Choice label="Kind" name="kind" value={kind} options={KINDS} />
        <Choice label="Priority" name="priority" value={priority} options={PRIORITIES} />
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={error} />
      <table aria-busy={loading}>
        <caption>Most urgent first: priority 1 is the highest, then the earliest due.</caption>
        <Head cols={['Priority', 'Case', 'Kind', 'Subject', 'Status', 'Assignee', 'Alerts', 'Due']} />
        <tbody>
          {(data?.cases ?? []).map((c) => (
            <tr
              key={c.caseId}
              class={new Date(c.dueAt) < new Date() && c.status !== 'closed' ? 'overdue' : ''}
            >
              <td>P{c.priority}</td>
              <td>
                <Link to={`/cases/${encodeURIComponent(c.caseId)}`}>{c.caseId}</Link>
              </td>
              <td>{c.kind}</td>
              <td>
                {c.subject}
                {c.partyId ? ` (${c.partyId})` : ''}
              </td>
              <td>{c.status}</td>
              <td>{c.assignee ?? 'unassigned'}</td>
              <td>{c.alertCount}</td>
              <td>{when(c.dueAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.cases.length === 0 ? <p>No cases in this view.</p> : null}
      <Pager
        label="Cases"
        first={cursor ? href('/cases', here) : null}
        next={data?.next ? href('/cases', { ...here, cursor: data.next }) : null}
      />
    </section>
  )
}
