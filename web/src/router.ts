import { useEffect, useState } from 'preact/hooks'

/**
 * A tiny history router: every screen's state (filters, page cursor) lives in the URL, so a link can be
 * shared and the back button works. Paths are below /console.
 */
export const BASE = '/console'

export interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

const current = (): Location => ({
  path: location.pathname.slice(BASE.length) || '/',
  query: new URLSearchParams(location.search),
})

/** Goes to a screen; `replace` for redirects, so Back does not bounce into them again. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', `${BASE}${to}`)
  else history.pushState(null, '', `${BASE}${to}`)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current)
  useEffect(() => {
    const onPop = () => setLoc(current())
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [])
  return loc
}

/** `path?query` with empty values dropped. */
export function href(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

/** An in-app link: a real <a href> (open in a new tab, copy the address) that navigates without a reload. */
export function onLinkClick(e: MouseEvent, to: string): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  e.preventDefault()
  navigate(to)
}
