import { useEffect, useState } from 'preact/hooks'
import { token } from '../api'
import { ErrorNote, Head, when } from '../components'
import { useGet } from '../useApi'

export interface MarketAlert {
  readonly alertId: string
  readonly ruleId: string
  readonly instrument: string
  readonly kind: string
  readonly price: string
  readonly tickTs: number
  readonly message: string
}

/**
 * Market alerts as they fire: the latest from GET /v1/market/alerts, then live over the SSE stream. The
 * stream is read with fetch (not EventSource) so the session goes as a bearer header, never in a URL.
 */
export function Market() {
  const initial = useGet<{ alerts: MarketAlert[] }>('/v1/market/alerts?limit=50')
  const [live, setLive] = useState<MarketAlert[]>([])
  const [state, setState] = useState<'connecting' | 'live' | 'closed'>('connecting')
  useEffect(() => {
    const abort = new AbortController()
    void stream(abort.signal, (a) => setLive((xs) => [a, ...xs].slice(0, 200)), setState)
    return () => abort.abort()
  }, [])
  const seen = new Set(live.map((a) => a.alertId))
  const rows = [...live, ...(initial.data?.alerts ?? []).filter((a) => !seen.has(a.alertId))]
  return (
    <section aria-labelledby="market-title">
      <h1 id="market-title">Market</h1>
      <p role="status" data-testid="stream-state">
        {state === 'live'
          ? 'Live: new alerts appear at the top.'
          : state === 'connecting'
            ? 'Connecting…'
            : 'Stream closed; reload to reconnect.'}
      </p>
      <ErrorNote error={initial.error} />
      <table aria-label="Market alerts" aria-busy={initial.loading}>
        <Head cols={['Tick time', 'Instrument', 'Kind', 'Price', 'Rule', 'Message']} numeric={['Price']} />
        <tbody>
          {rows.map((a) => (
            <tr key={a.alertId} class={seen.has(a.alertId) ? 'fresh' : ''}>
              <td>{when(new Date(a.tickTs).toISOString())}</td>
              <td>{a.instrument}</td>
              <td>{a.kind.replaceAll('_', ' ')}</td>
              <td class="num">{a.price}</td>
              <td>{a.ruleId}</td>
              <td>{a.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {initial.data && rows.length === 0 ? <p>No alerts yet.</p> : null}
    </section>
  )
}

async function stream(
  signal: AbortSignal,
  onAlert: (a: MarketAlert) => void,
  setState: (s: 'connecting' | 'live' | 'closed') => void,
): Promise<void> {
  try {
    const res = await fetch('/v1/market/alerts/stream', {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token.get() ?? ''}` },
      credentials: 'omit',
      signal,
    })
    if (!res.ok || !res.body) return setState('closed')
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        // The server says so once it has subscribed: from then on no alert is missed.
        if (block.startsWith(': connected')) setState('live')
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n')
        if (data && /^event: alert$/m.test(block)) onAlert(JSON.parse(data) as MarketAlert)
      }
    }
    setState('closed')
  } catch {
    if (!signal.aborted) setState('closed')
  }
}
