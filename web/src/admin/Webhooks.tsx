import { useState } from 'preact/hooks'
import { api } from '../api'
import { ErrorNote, Head, Link, Pager, when } from '../components'
import { href } from '../router'
import { useAction, useGet } from '../useApi'

interface Endpoint {
  readonly id: string
  readonly url: string
  readonly eventTypes: readonly string[]
  readonly enabled: boolean
  readonly disabledReason: string | null
  readonly lastSuccessAt: string | null
}
interface Delivery {
  readonly id: string
  readonly eventType: string
  readonly status: string
  readonly attempts: number
  readonly createdAt: string
  readonly replayOf: string | null
  readonly lastAttempt: { statusCode: number | null; latencyMs: number; error: string | null } | null
}

/**
 * Webhook endpoints and, for the one picked (in the URL), its delivery log newest first with a replay
 * button: the same webhook-id goes out again on a fresh retry schedule.
 */
export function Webhooks(props: { query: URLSearchParams; canWrite: boolean }) {
  const endpoint = props.query.get('endpoint') ?? ''
  const before = props.query.get('before') ?? ''
  const endpoints = useGet<{ data: Endpoint[] }>('/v1/webhook-endpoints')
  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhook endpoints</h2>
      <ErrorNote error={endpoints.error} />
      <table>
        <Head cols={['URL', 'Events', 'State', 'Last success']} />
        <tbody>
          {(endpoints.data?.data ?? []).map((e) => (
            <tr key={e.id}>
              <td>
                <Link to={href('/admin/webhooks', { endpoint: e.id })} current={e.id === endpoint}>
                  {e.url}
                </Link>
              </td>
              <td>{e.eventTypes.join(' ')}</td>
              <td>{e.enabled ? 'enabled' : `disabled (${e.disabledReason ?? 'manual'})`}</td>
              <td>{when(e.lastSuccessAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {endpoints.data?.data.length === 0 ? (
        <p>No endpoints registered (POST /v1/webhook-endpoints).</p>
      ) : null}
      {endpoint ? <Deliveries endpoint={endpoint} before={before} canWrite={props.canWrite} /> : null}
    </section>
  )
}

function Deliveries(props: { endpoint: string; before: string; canWrite: boolean }) {
  const [reload, setReload] = useState(0)
  const path = href(`/v1/webhook-endpoints/${props.endpoint}/deliveries`, {
    limit: '25',
    before: props.before || undefined,
  })
  const { data, error } = useGet<{ data: Delivery[]; next: string | null }>(path, reload)
  const action = useAction()
  const here = { endpoint: props.endpoint }
  return (
    <section aria-labelledby="deliveries-title">
      <h3 id="deliveries-title">Delivery log</h3>
      <ErrorNote error={error ?? action.error} />
      <table>
        <Head cols={['Created', 'Event', 'Status', 'Attempts', 'Last answer', 'Actions']} />
        <tbody>
          {(data?.data ?? []).map((d) => (
            <tr key={d.id}>
              <td>{when(d.createdAt)}</td>
              <td>
                {d.eventType}
                {d.replayOf ? ' (replay)' : ''}
              </td>
              <td>{d.status}</td>
              <td>{d.attempts}</td>
              <td>
                {d.lastAttempt
                  ? `${d.lastAttempt.statusCode ?? d.lastAttempt.error ?? '—'} in ${d.lastAttempt.latencyMs} ms`
                  : '—'}
              </td>
              <td>
                {props.canWrite ? (
                  <button
                    type="button"
                    disabled={action.busy}
                    aria-label={`Replay ${d.id}`}
                    onClick={() =>
                      action.run(
                        () => api('POST', `/v1/webhook-deliveries/${d.id}/replay`),
                        () => setReload((n) => n + 1),
                      )
                    }
                  >
                    Replay
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager
        label="Deliveries"
        first={props.before ? href('/admin/webhooks', here) : null}
        next={data?.next ? href('/admin/webhooks', { ...here, before: data.next }) : null}
      />
    </section>
  )
}
