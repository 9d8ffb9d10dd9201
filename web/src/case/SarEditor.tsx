import { useEffect, useState } from 'preact/hooks'
import { api, token } from '../api'
import { ErrorNote, when } from '../components'
import { useAction, useGet } from '../useApi'
import { NARRATIVE_KEYS, type NarrativeKey, type SarVersion } from './types'

const LABELS: Readonly<Record<NarrativeKey, string>> = {
  who: 'Who is conducting the activity',
  what: 'What instruments and amounts',
  when: 'When it happened',
  where: 'Where it happened',
  why: 'Why it is suspicious',
  how: 'How it was done',
}

/**
 * The SAR draft: generated from the case's facts by the API (POST /sar), then edited here. Every save is
 * a new version whose base must be the latest (the API answers CASES_SAR_STALE when another analyst
 * saved first, so no edit is silently lost).
 */
export function SarEditor(props: { caseId: string; canWrite: boolean; onChange: () => void }) {
  const base = `/v1/cases/${encodeURIComponent(props.caseId)}/sar`
  const [reload, setReload] = useState(0)
  const { data, error } = useGet<SarVersion>(base, reload)
  const [narrative, setNarrative] = useState<Record<NarrativeKey, string> | null>(null)
  const [saved, setSaved] = useState<string | null>(null)
  const action = useAction()
  useEffect(() => setNarrative(data ? { ...data.draft.narrative } : null), [data])
  const changed = () => {
    setReload((n) => n + 1)
    props.onChange()
  }

  const draft = () => action.run(() => api('POST', base), changed)
  const save = (e: Event) => {
    e.preventDefault()
    if (!data || !narrative) return
    const edits = Object.fromEntries(
      NARRATIVE_KEYS.filter((k) => narrative[k] !== data.draft.narrative[k]).map((k) => [k, narrative[k]]),
    )
    action.run(async () => {
      const v = await api<SarVersion>('PATCH', base, {
        body: { baseVersion: data.version, changes: { narrative: edits } },
      })
      setSaved(`Saved as version ${v.version}.`)
    }, changed)
  }

  const missing = error?.includes('CASES_SAR_NOT_FOUND')
  return (
    <section aria-labelledby="sar-title" class="card wide">
      <h2 id="sar-title">SAR draft</h2>
      {missing ? <p>No SAR draft yet.</p> : <ErrorNote error={error} />}
      {props.canWrite ? (
        <button type="button" onClick={draft} disabled={action.busy}>
          {data ? 'Regenerate from case facts' : 'Draft SAR'}
        </button>
      ) : null}
      {data && narrative ? (
        <form aria-label="SAR narrative" onSubmit={save} class="sar">
          <p class="note">
            Version {data.version} by {data.editedBy}, {when(data.createdAt)} · SHA-256{' '}
            <code>{data.sha256.slice(0, 16)}…</code>
          </p>
          <dl class="facts">
            <dt>Subject</dt>
            <dd>{data.draft.subject.name ?? 'not recorded'}</dd>
            <dt>Activity</dt>
            <dd>
              {data.draft.activity.from?.slice(0, 10) ?? '?'} to {data.draft.activity.to?.slice(0, 10) ?? '?'}
            </dd>
            <dt>Amounts</dt>
            <dd>{data.draft.amounts.map((a) => `${a.formatted} (${a.count})`).join(', ') || '—'}</dd>
            <dt>Categories</dt>
            <dd>{data.draft.categories.map((c) => `${c.category}: ${c.subtype}`).join('; ') || '—'}</dd>
          </dl>
          {NARRATIVE_KEYS.map((k) => (
            <label key={k}>
              {LABELS[k]}
              <textarea
                name={k}
                rows={3}
                value={narrative[k]}
                readOnly={!props.canWrite}
                onInput={(e) => setNarrative({ ...narrative, [k]: e.currentTarget.value })}
              />
            </label>
          ))}
          {props.canWrite ? (
            <button type="submit" disabled={action.busy}>
              Save draft
            </button>
          ) : null}
          <p class="note">
            Export:{' '}
            <DownloadLink path={`${base}?format=html`} name={`${props.caseId}.sar.html`} label="HTML" />
            {' · '}
            <DownloadLink path={`${base}?format=xml`} name={`${props.caseId}.sar.xml`} label="FinCEN XML" />
          </p>
        </form>
      ) : null}
      {saved ? (
        <p role="status" class="ok">
          {saved}
        </p>
      ) : null}
      <ErrorNote error={action.error} />
    </section>
  )
}

/**
 * A file the API serves only with the session's bearer token, so a plain link cannot fetch it: the page
 * fetches it and hands the bytes, unchanged, to the browser's download.
 */
export function DownloadLink(props: { path: string; name: string; label: string }) {
  const [error, setError] = useState<string | null>(null)
  const download = async () => {
    setError(null)
    try {
      const res = await fetch(props.path, {
        headers: { authorization: `Bearer ${token.get() ?? ''}` },
        credentials: 'omit',
      })
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`)
      const url = URL.createObjectURL(await res.blob())
      const a = document.createElement('a')
      a.href = url
      a.download = props.name
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    }
  }
  return (
    <>
      <button type="button" class="link" onClick={() => void download()}>
        {props.label}
      </button>
      {error ? <span class="error"> {error}</span> : null}
    </>
  )
}
