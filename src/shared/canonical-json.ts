/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, dates as ISO-8601 strings, bigints
 * as integer strings. Two parties that serialise the same value get the same bytes, so a signature or
 * hash over it can be checked by re-serialising (evidence bundles, SAR draft versions).
 */
export function canonicalize(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(canonicalize)
  if (Buffer.isBuffer(value)) return value.toString('base64')
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k]
    if (v !== undefined) out[k] = canonicalize(v)
  }
  return out
}

export const canonicalJson = (value: unknown): string => JSON.stringify(canonicalize(value))
