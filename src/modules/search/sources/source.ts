import type { SearchDocument, SearchType } from '../search.js'

/**
 * Where documents of one type come from: the events that change them and how to read them again.
 * Sources read the owning module's tables (read-only; ADR 1100): the projector never trusts an
 * event's payload for content, it re-reads the current row, so replays and reordering are harmless.
 */
export interface SearchSource {
  readonly type: SearchType
  /** Topic → the references (ids, or items for counterparties) an event of it names. */
  readonly topics: Readonly<Record<string, (payload: Record<string, unknown>) => readonly string[]>>
  /** Documents for these references as they are now; `removed`: ids whose object is gone. */
  refresh(tenant: string, refs: readonly string[]): Promise<{ upsert: SearchDocument[]; removed: string[] }>
  /** Every document of a tenant, a page at a time (keyset after `after`), for `moneta search reindex`. */
  scan(
    tenant: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ docs: SearchDocument[]; next?: string }>
  count(tenant: string): Promise<number>
  /** False when a reindex cannot see every document (instruments seen only in ticks): stale ones stay. */
  readonly prunable: boolean
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

export const refOf =
  (field: string) =>
  (p: Record<string, unknown>): string[] => {
    const v = str(p[field])
    return v ? [v] : []
  }

/** String values of a metadata object (one level deep), for the searchable body. */
export function metadataText(metadata: unknown): string {
  if (!metadata || typeof metadata !== 'object') return ''
  const out: string[] = []
  for (const v of Object.values(metadata as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number') out.push(String(v))
    else if (v && typeof v === 'object')
      for (const w of Object.values(v as Record<string, unknown>))
        if (typeof w === 'string' || typeof w === 'number') out.push(String(w))
  }
  return out.join(' ').slice(0, 2000)
}

export const keysOf = (
  values: readonly (string | null | undefined)[],
  key: (v: string) => string,
): string[] => [
  ...new Set(
    values
      .filter((v): v is string => !!v)
      .map(key)
      .filter((k) => k.length > 0),
  ),
]
