import type { ComponentChildren } from 'preact'
import { BASE, onLinkClick } from './router'

export function Link(props: { to: string; children: ComponentChildren; current?: boolean }) {
  return (
    <a
      href={`${BASE}${props.to}`}
      onClick={(e) => onLinkClick(e, props.to)}
      {...(props.current ? { 'aria-current': 'page' as const } : {})}
    >
      {props.children}
    </a>
  )
}

export function ErrorNote(props: { error: string | null }) {
  return props.error ? (
    <p role="alert" class="error">
      {props.error}
    </p>
  ) : null
}

/** Keyset pagination: the API's cursor goes into the URL; "first page" drops it. */
export function Pager(props: { first: string | null; next: string | null; label: string }) {
  return (
    <nav aria-label={`${props.label} pages`} class="pager">
      {props.first ? <Link to={props.first}>First page</Link> : null}
      {props.next ? <Link to={props.next}>Next page</Link> : <span>End of list</span>}
    </nav>
  )
}

export const when = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—'

/** A labelled filter drop-down; the empty value means "any". Submitted with its form (a GET to the URL). */
export function Choice(props: { label: string; name: string; value: string; options: readonly string[] }) {
  return (
    <label>
      {props.label}
      <select name={props.name} value={props.value}>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o || 'any'}
          </option>
        ))}
      </select>
    </label>
  )
}

/** A value from a loosely typed payload as text: strings and numbers as they are, anything else empty. */
export const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '')

/** A table's header row; columns named in `numeric` are right-aligned like their figures. */
export function Head(props: { cols: readonly string[]; numeric?: readonly string[] }) {
  return (
    <thead>
      <tr>
        {props.cols.map((c) => (
          <th key={c} scope="col" {...(props.numeric?.includes(c) ? { class: 'num' } : {})}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  )
}
