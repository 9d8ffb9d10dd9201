import { useEffect, useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head, Link, when } from '../components'
import { href, navigate } from '../router'
import { useAction, useGet } from '../useApi'
import { Backtest } from './Backtest'
import { CelEditor } from './CelEditor'
import type { Rule, RuleSet } from './types'

/**
 * Monitoring rule sets: every version with its state (draft, shadow, active, retired), one version in the
 * CEL editor (the version is in the URL), saved as a new draft, then shadowed, activated or retired; and
 * a backtest of a version against the active set over stored history.
 */
export function Monitoring(props: { query: URLSearchParams; canWrite: boolean }) {
  const [reload, setReload] = useState(0)
  const { data, error } = useGet<{ data: RuleSet[] }>('/v1/monitoring/rule-sets', reload)
  const sets = data?.data ?? []
  const wanted = Number(props.query.get('version') ?? 0)
  const open = sets.find((s) => s.version === wanted) ?? sets.find((s) => s.status === 'active') ?? sets[0]
  const action = useAction()
  const transition = (s: RuleSet, to: 'shadow' | 'activate' | 'retire') =>
    action.run(
      () => api('POST', `/v1/monitoring/rule-sets/${s.version}/${to}`),
      () => setReload((n) => n + 1),
    )
  return (
    <section aria-labelledby="monitoring-title">
      <h1 id="monitoring-title">Monitoring</h1>
      <ErrorNote error={error ?? action.error} />
      <table>
        <caption>
          Rule-set versions: one active, at most one in shadow (evaluated beside it, raising nothing).
        </caption>
        <Head cols={['Version', 'State', 'Rules', 'Note', 'Created', 'Activated', 'Actions']} />
        <tbody>
          {sets.map((s) => (
            <tr key={s.version}>
              <td>
                <Link to={href('/monitoring', { version: String(s.version) })} current={s === open}>
                  v{s.version}
                </Link>
              </td>
              <td>{s.status}</td>
              <td>{s.definition.rules.length}</td>
              <td>{s.note ?? '—'}</td>
              <td>{when(s.createdAt)}</td>
              <td>{when(s.activatedAt)}</td>
              <td class="actions">
                {props.canWrite && (s.status === 'draft' || s.status === 'shadow') ? (
                  <>
                    {s.status === 'draft' ? (
                      <button
                        type="button"
                        disabled={action.busy}
                        aria-label={`Shadow v${s.version}`}
                        onClick={() => transition(s, 'shadow')}
                      >
                        Shadow
                      </button>
                    ) : null}
                    <button
                      type="button"
                      disabled={action.busy}
                      aria-label={`Activate v${s.version}`}
                      onClick={() => transition(s, 'activate')}
                    >
                      Activate
                    </button>
                  </>
                ) : null}
                {props.canWrite && s.status !== 'retired' && s.status !== 'active' ? (
                  <button
                    type="button"
                    disabled={action.busy}
                    aria-label={`Retire v${s.version}`}
                    onClick={() => transition(s, 'retire')}
                  >
                    Retire
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {sets.length === 0 && data ? <p>No rule sets yet.</p> : null}
      {open ? (
        <Editor
          key={open.version}
          set={open}
          canWrite={props.canWrite}
          onSaved={() => setReload((n) => n + 1)}
        />
      ) : null}
      {open ? <Backtest version={open.version} /> : null}
    </section>
  )
}

function Editor(props: { set: RuleSet; canWrite: boolean; onSaved: () => void }) {
  const [rules, setRules] = useState<Rule[]>(() => [...props.set.definition.rules])
  const [note, setNote] = useState('')
  useEffect(() => setRules([...props.set.definition.rules]), [props.set])
  const action = useAction()
  const save = (e: Event) => {
    e.preventDefault()
    action.run(async () => {
      const { rules: _old, ...rest } = props.set.definition
      const saved = await api<RuleSet>('POST', '/v1/monitoring/rule-sets', {
        body: { ...rest, rules, ...(note.trim() ? { note: note.trim() } : {}) },
      })
      props.onSaved()
      navigate(href('/monitoring', { version: String(saved.version) }))
    })
  }
  return (
    <form aria-labelledby="editor-title" onSubmit={save} class="stack">
      <h2 id="editor-title">
        v{props.set.version} ({props.set.status})
      </h2>
      <CelEditor rules={rules} onChange={setRules} readOnly={!props.canWrite} />
      {props.canWrite ? (
        <>
          <label>
            Note for the new version
            <input maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={action.busy}>
            Save as new draft
          </button>
        </>
      ) : null}
      <ErrorNote error={action.error} />
    </form>
  )
}
