import { useEffect, useState } from 'preact/hooks'
import { api, errorText } from './api'

/** GET a resource whenever its path changes (the path carries the screen's filters and cursor). */
export function useGet<T>(
  path: string | null,
  reload = 0,
): { data: T | null; error: string | null; loading: boolean } {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  })
  useEffect(() => {
    if (!path) return
    let live = true
    setState((s) => ({ ...s, loading: true, error: null }))
    api<T>('GET', path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => live && setState({ data: null, error: errorText(e), loading: false }),
    )
    return () => {
      live = false
    }
  }, [path, reload])
  return state
}

/**
 * A command the screen runs on demand (a button, a form): busy while it runs, its error shown, and
 * `done` called with the answer so the screen can reload what changed.
 */
export function useAction(): {
  busy: boolean
  error: string | null
  run: (work: () => Promise<unknown>, done?: () => void) => void
} {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = (work: () => Promise<unknown>, done?: () => void) => {
    setBusy(true)
    setError(null)
    work().then(
      () => {
        setBusy(false)
        done?.()
      },
      (e: unknown) => {
        setBusy(false)
        setError(errorText(e))
      },
    )
  }
  return { busy, error, run }
}
