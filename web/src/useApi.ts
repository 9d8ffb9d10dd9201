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
