import type { SubjectType } from './normalize.js'

export type { SubjectType } from './normalize.js'

/** Lists Moneta knows how to load. One active snapshot per (tenant, list). */
export const LIST_IDS = ['ofac_sdn', 'ofac_cons', 'un', 'eu', 'uk', 'us_csl'] as const
export type ListId = (typeof LIST_IDS)[number]

export const LIST_FORMATS = [
  'ofac-csv',
  'ofac-cons-csv',
  'ofac-advanced-xml',
  'un-xml',
  'eu-xml',
  'uk-csv',
  'csl-csv',
] as const
export type ListFormat = (typeof LIST_FORMATS)[number]

export type NameKind = 'primary' | 'alias' | 'weak_alias' | 'original_script'

export interface EntryName {
  readonly name: string
  readonly kind: NameKind
}

export interface EntryIdentifier {
  readonly type: string
  readonly value: string
  readonly country?: string
}

export interface CryptoAddress {
  readonly currency: string
  readonly address: string
}

/** One sanctioned party as loaded from a list, in a list-independent shape. */
export interface ListEntry {
  readonly listId: ListId
  /** The list's own stable id (OFAC ent_num, UN DATAID, EU logicalId…). */
  readonly key: string
  readonly type: SubjectType
  readonly names: readonly EntryName[]
  /** "YYYY", "YYYY-MM", "YYYY-MM-DD", or a year range "YYYY/YYYY". */
  readonly dobs: readonly string[]
  /** ISO 3166 alpha-2: nationality, citizenship, addresses, flag. */
  readonly countries: readonly string[]
  readonly identifiers: readonly EntryIdentifier[]
  readonly cryptoAddresses: readonly CryptoAddress[]
  readonly programs: readonly string[]
  readonly remarks?: string
}

export interface ParsedList {
  readonly listId: ListId
  readonly format: ListFormat
  readonly entries: readonly ListEntry[]
  /** Rows skipped on purpose (e.g. aliases of entries absent from the primary file). */
  readonly warnings: readonly string[]
}

export interface ScreeningQuery {
  readonly name: string
  readonly type?: SubjectType
  /** "YYYY", "YYYY-MM" or "YYYY-MM-DD" (single-digit month/day accepted). */
  readonly dob?: string
  /** Names or ISO codes of nationality / residence. */
  readonly countries?: readonly string[]
  readonly identifiers?: readonly string[]
  readonly cryptoAddresses?: readonly string[]
}

export interface PartMatch {
  readonly query: string
  readonly list: string
  readonly similarity: number
  readonly weight: number
  readonly how: 'exact' | 'phonetic' | 'fuzzy' | 'initial' | 'merged' | 'consonants'
}

export interface AttributeEffect {
  readonly attribute: 'dob' | 'country' | 'type' | 'identifier'
  readonly effect: number
  readonly detail: string
}

export interface Explanation {
  readonly matchedName: string
  readonly nameKind: NameKind
  readonly nameScore: number
  readonly parts: readonly PartMatch[]
  readonly unmatchedQuery: readonly string[]
  readonly unmatchedList: readonly string[]
  readonly ignoredWords: readonly string[]
  readonly attributes: readonly AttributeEffect[]
  readonly exact?: { readonly kind: 'identifier' | 'crypto'; readonly value: string }
  readonly summary: string
}

export interface Hit {
  readonly listId: ListId
  readonly entryKey: string
  readonly entryType: SubjectType
  readonly primaryName: string
  readonly score: number
  readonly explanation: Explanation
}

/** Stable content hash input: what makes an entry "changed" between snapshots. */
export function entryFingerprint(e: ListEntry): string {
  return JSON.stringify([
    e.type,
    e.names.map((n) => [n.name, n.kind]),
    [...e.dobs].sort(),
    [...e.countries].sort(),
    e.identifiers.map((i) => [i.type, i.value, i.country ?? '']),
    e.cryptoAddresses.map((c) => [c.currency, c.address]),
    [...e.programs].sort(),
  ])
}
