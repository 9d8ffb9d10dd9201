import { useEffect, useState } from 'preact/hooks'
import { activity, api } from './api'

/** How long before the server's idle limit the warning shows. */
const WARN_BEFORE_MS = 60_000

/**
 * The server ends an operator session after its idle limit without a request. A minute before, this
 * warns and offers to stay signed in (one request restarts the server's clock); at the limit it signs the
 * tab out instead of letting the next click fail.
 */
export function IdleWarning(props: { idleSeconds: number; onExpired: () => void }) {
  const [left, setLeft] = useState<number | null>(null)
  useEffect(() => {
    const tick = setInterval(() => {
      const remaining = activity.last + props.idleSeconds * 1000 - Date.now()
      if (remaining <= 0) props.onExpired()
      setLeft(remaining <= WARN_BEFORE_MS ? Math.max(0, Math.ceil(remaining / 1000)) : null)
    }, 1000)
    return () => clearInterval(tick)
  }, [props.idleSeconds, props.onExpired])
  if (left === null) return null
  return (
    <div role="alertdialog" aria-labelledby="idle-title" class="idle">
      <p id="idle-title">
        <strong>You will be signed out in {left} s</strong> for inactivity.
      </p>
      <button type="button" onClick={() => void api('GET', '/v1/auth/session').then(() => setLeft(null))}>
        Stay signed in
      </button>
    </div>
  )
}
