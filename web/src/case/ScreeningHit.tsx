import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head, text } from '../components'
import { useAction } from '../useApi'
import type { CaseAlert } from './types'

/** One hit of POST /v1/screening/check (src/api/routes/screening.ts HitSchema). */
export interface Hit {
  readonly listId: string
  readonly entryKey: string
  readonly entryType: string
  readonly primaryName: string
  readonly score: number
  readonly explanation: {
    readonly matchedName: string
    readonly nameKind: string
    readonly nameScore: number
    readonly parts: readonly { query: string; list: string; similarity: number; how: string }[]
    readonly unmatchedQuery: readonly string[]
    readonly unmatchedList: readonly string[]
    readonly attributes: readonly { attribute: string; effect: number; detail: string }[]
    readonly summary: string
  }
}

type Party = Readonly<Record<string, unknown>> | null

/**
 * A screening alert side by side with the list entry it hit and why it matched. The alert stores only
 * the list and entry key; the explanation comes from screening the party's name again against the
 * loaded lists (no subject id, so no new alert), which is also how the analyst sees whether the entry
 * still matches after a list update.
 */
export function ScreeningHit(props: { alert: CaseAlert; party: Party; canCheck: boolean }) {
  const a = props.alert
  const listId = text(a.payload.listId)
  const entryKey = text(a.payload.entryKey)
  const names = Array.isArray(props.party?.names) ? (props.party.names as { value: string }[]) : []
  const name = names[0]?.value ?? ''
  const [hit, setHit] = useState<Hit | null | undefined>(undefined)
  const action = useAction()
  const explain = () =>
    action.run(async () => {
      const body = {
        name,
        ...(typeof props.party?.birthDate === 'string' ? { dob: props.party.birthDate } : {}),
        threshold: 0.5,
        limit: 50,
      }
      const r = await api<{ hits: Hit[]; suppressed: Hit[] }>('POST', '/v1/screening/check', { body })
      setHit([...r.hits, ...r.suppressed].find((h) => h.listId === listId && h.entryKey === entryKey) ?? null)
    })
  return (
    <section aria-label={`Screening hit ${listId} ${entryKey}`} class="card wide">
      <h3>
        Screening hit: {listId} entry <code>{entryKey}</code> (score {a.score.toFixed(2)})
      </h3>
      <div class="side-by-side">
        <div>
          <h4>Our party</h4>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{name || a.subject}</dd>
            <dt>Born</dt>
            <dd>{text(props.party?.birthDate) || '—'}</dd>
            <dt>Country</dt>
            <dd>{text(props.party?.country) || '—'}</dd>
          </dl>
        </div>
        <div>
          <h4>List entry</h4>
          {hit ? (
            <dl class="facts">
              <dt>Primary name</dt>
              <dd>{hit.primaryName}</dd>
              <dt>Matched name</dt>
              <dd>
                {hit.explanation.matchedName} ({hit.explanation.nameKind})
              </dd>
              <dt>Type</dt>
              <dd>{hit.entryType}</dd>
              <dt>Score now</dt>
              <dd>{hit.score.toFixed(2)}</dd>
            </dl>
          ) : (
            <p class="note">{a.summary}</p>
          )}
        </div>
      </div>
      {hit ? <WhyItMatched hit={hit} /> : null}
      {hit === null ? <p>The entry no longer matches this name on the loaded lists.</p> : null}
      {props.canCheck && name && hit === undefined ? (
        <button type="button" disabled={action.busy} onClick={explain}>
          Show why it matched
        </button>
      ) : null}
      <ErrorNote error={action.error} />
    </section>
  )
}

function WhyItMatched(props: { hit: Hit }) {
  const x = props.hit.explanation
  return (
    <div>
      <h4>Why it matched</h4>
      <p>{x.summary}</p>
      <table>
        <caption>Name parts compared (name score {x.nameScore.toFixed(2)})</caption>
        <Head cols={['Our name', 'List name', 'How', 'Similarity']} numeric={['Similarity']} />
        <tbody>
          {x.parts.map((p, i) => (
            <tr key={i}>
              <td>{p.query}</td>
              <td>{p.list}</td>
              <td>{p.how}</td>
              <td class="num">{p.similarity.toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {x.attributes.length ? (
        <ul>
          {x.attributes.map((at) => (
            <li key={at.attribute}>
              {at.attribute}: {at.detail} ({at.effect >= 0 ? '+' : ''}
              {at.effect.toFixed(2)})
            </li>
          ))}
        </ul>
      ) : null}
      {x.unmatchedQuery.length || x.unmatchedList.length ? (
        <p class="note">
          Unmatched — ours: {x.unmatchedQuery.join(', ') || 'none'}; list:{' '}
          {x.unmatchedList.join(', ') || 'none'}
        </p>
      ) : null}
    </div>
  )
}
