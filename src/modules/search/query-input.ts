import { isSearchType, type SearchQuery, type SearchType } from './search.js'
import { searchError } from './search.errors.js'

/** A search as the edge receives it (query string, CLI flags): every value a string. */
export interface SearchInput {
  readonly q: string
  /** Comma-separated types. */
  readonly type?: string | undefined
  readonly from?: string | undefined
  readonly to?: string | undefined
  /** Integer minor units. */
  readonly amountMin?: string | undefined
  readonly amountMax?: string | undefined
  readonly currency?: string | undefined
  readonly limit?: string | number | undefined
  readonly offset?: string | number | undefined
}

const AMOUNT = /^[0-9]{1,18}$/

function date(name: string, v: string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined
  const d = new Date(v)
  if (Number.isNaN(d.getTime())) throw searchError('SEARCH_INVALID_QUERY', `${name} must be an ISO 8601 date`)
  return d
}

function amount(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined || v === '') return undefined
  if (!AMOUNT.test(v))
    throw searchError('SEARCH_INVALID_QUERY', `${name} must be integer minor units, e.g. "1050"`)
  return BigInt(v)
}

function int(name: string, v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = typeof v === 'number' ? v : /^[0-9]{1,6}$/.test(v) ? Number(v) : NaN
  if (!Number.isInteger(n)) throw searchError('SEARCH_INVALID_QUERY', `${name} must be a whole number`)
  return n
}

/** Parses and checks the edge's strings; errors name the field to fix (SEARCH_INVALID_QUERY). */
export function parseSearchInput(input: SearchInput): SearchQuery {
  let types: SearchType[] | undefined
  if (input.type) {
    const list = input.type
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
    const bad = list.filter((t) => !isSearchType(t))
    if (bad.length > 0) throw searchError('SEARCH_INVALID_QUERY', `unknown type "${bad.join(', ')}"`)
    types = list as SearchType[]
  }
  const currency = input.currency?.toUpperCase()
  if (currency !== undefined && !/^[A-Z]{3}$/.test(currency))
    throw searchError('SEARCH_INVALID_QUERY', 'currency must be an ISO 4217 code')
  return {
    q: input.q,
    types,
    from: date('from', input.from),
    to: date('to', input.to),
    amountMin: amount('amountMin', input.amountMin),
    amountMax: amount('amountMax', input.amountMax),
    currency,
    limit: int('limit', input.limit),
    offset: int('offset', input.offset),
  }
}
