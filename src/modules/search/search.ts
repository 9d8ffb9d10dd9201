import { normalizeIdentifier, normalizeName } from '../screening/index.js'

/**
 * Search domain types: what every engine stores (documents) and answers (candidates), and the pure
 * text functions both sides share. Engines retrieve candidates; the service ranks, highlights and
 * pages them (search.service.ts), so every engine answers the same query the same way.
 */

export const SEARCH_TYPES = [
  'party',
  'payment',
  'ledger_account',
  'ledger_transaction',
  'counterparty',
  'instrument',
] as const
export type SearchType = (typeof SEARCH_TYPES)[number]

export const isSearchType = (v: string): v is SearchType => (SEARCH_TYPES as readonly string[]).includes(v)

/** One searchable object, as an engine stores it. */
export interface SearchDocument {
  readonly tenantId: string
  readonly type: SearchType
  readonly id: string
  /** Display text: only data stored in clear at its source (never a decrypted field). */
  readonly title: string
  /** Searchable text in clear (folded by `foldText`): ids, references, names that are not encrypted. */
  readonly body: string
  /** Keyed tokens (16 hex chars) of encrypted fields: names of parties (sealed.ts). Matched exactly. */
  readonly sealed: readonly string[]
  /** Exact identifiers, as `identifierKey` gives them (blind index hex for encrypted identifiers). */
  readonly keys: readonly string[]
  readonly occurredAt: Date
  readonly amount?: bigint | undefined
  readonly currency?: string | undefined
  /** Facts returned with a hit (status, kind, brand): clear, non-personal. */
  readonly attributes: Readonly<Record<string, string>>
}

/** Filters every search takes (the tenant is always one more). */
export interface SearchFilters {
  readonly types?: readonly SearchType[] | undefined
  /** On the object's time (occurredAt): at or after `from`, before `to`. */
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  /** Minor units, inclusive. */
  readonly amountMin?: bigint | undefined
  readonly amountMax?: bigint | undefined
  readonly currency?: string | undefined
}

/** What the caller asks (GET /v1/search, `moneta search`). */
export interface SearchQuery extends SearchFilters {
  readonly q: string
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

/** How a sealed document's revealed title joins its names (revealPartyNames). */
export const NAME_SEPARATOR = ' · '

/** What an engine is handed: the query already folded, split and sealed for this tenant. */
export interface EngineQuery extends SearchFilters {
  readonly tenantId: string
  /** Folded query text (foldText). */
  readonly text: string
  /** Folded words of the query, in order. */
  readonly words: readonly string[]
  /**
   * Per query word, the keyed tokens that match it (sealed.ts `sealQuery`; the first is the word itself;
   * empty for a word not required): a document must match `sealedMinimum` of the non-empty groups.
   */
  readonly sealedGroups: readonly (readonly string[])[]
  /**
   * How many of the (non-empty) sealed groups a document must match; default `requiredSealedMatches`.
   * The service lowers it when the default finds nothing ("Liz Thompson": no word but the surname matches).
   */
  readonly sealedMinimum?: number | undefined
  /** Exact identifier keys the query could be (whole query and each word). */
  readonly keys: readonly string[]
  /** How many candidates to return, best first by the engine's own score. */
  readonly limit: number
}

/**
 * Sealed groups a document must match, the same in every engine: every query word when there are one
 * or two; with more, all but one (a stray word such as a city or "ltd" does not hide the party).
 */
export function requiredSealedMatches(groupCount: number, minimum?: number): number {
  const byDefault = groupCount <= 2 ? groupCount : groupCount - 1
  return Math.max(1, Math.min(groupCount, minimum ?? byDefault))
}

/** A document an engine found, with its own score (comparable within one engine's answer only). */
export interface Candidate {
  readonly doc: SearchDocument
  readonly score: number
}

export interface Highlight {
  readonly text: string
  readonly match: boolean
}

export interface SearchHit {
  readonly type: SearchType
  readonly id: string
  readonly title: string
  readonly score: number
  /** The title cut into matched and unmatched runs (no markup to escape). */
  readonly highlight: readonly Highlight[]
  readonly occurredAt: Date
  readonly amount?: bigint | undefined
  readonly currency?: string | undefined
  readonly attributes: Readonly<Record<string, string>>
}

export interface SearchPage {
  readonly hits: readonly SearchHit[]
  /** Candidates ranked (at most the window): `offset + hits.length < total` means more pages. */
  readonly total: number
  readonly offset: number
  readonly limit: number
}

/**
 * Text as every engine indexes and queries it: the screening normaliser's transliteration and folding
 * (any script to ASCII, accents and case folded), per word, keeping digits and id punctuation.
 */
export function foldText(input: string): string {
  const out: string[] = []
  for (const raw of input.split(/\s+/)) {
    if (!raw) continue
    // Identifiers (pay_…, US0378331005, 4242) keep their shape; words go through the name normaliser.
    if (/^[\x21-\x7e]+$/.test(raw) && /[0-9_]/.test(raw)) out.push(raw.toLowerCase())
    else {
      const n = normalizeName(raw, 'unknown').text
      if (n) out.push(n)
      else if (/^[\x21-\x7e]+$/.test(raw)) out.push(raw.toLowerCase().replace(/[^a-z0-9]/g, ''))
    }
  }
  return out.filter(Boolean).join(' ')
}

/** Words of folded text (a word may be split by the normaliser: "o'brien" → "o brien"). */
export const wordsOf = (folded: string): string[] => folded.split(' ').filter(Boolean)

/** Exact-match form of an identifier: upper case letters and digits only (IBAN, ISIN, references, last four). */
export const identifierKey = (value: string): string => normalizeIdentifier(value)
