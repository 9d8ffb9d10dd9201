import type { SearchEngine } from './engine.js'
import { EXACT_KEY_SCORE, highlight, nameScore, textScore } from './rank.js'
import { sealQuery, type Sealer } from './sealed.js'
import {
  foldText,
  identifierKey,
  NAME_SEPARATOR,
  requiredSealedMatches,
  wordsOf,
  type Candidate,
  type EngineQuery,
  type SearchHit,
  type SearchPage,
  type SearchQuery,
  type SearchType,
} from './search.js'
import { searchError } from './search.errors.js'
import { LEGAL_FORMS, PARTICLES } from '../screening/index.js'

export const MAX_QUERY_LENGTH = 200
export const MAX_QUERY_WORDS = 8
export const MAX_LIMIT = 100
export const MAX_OFFSET = 1000

/**
 * Shows documents whose title is not in the index (parties: names are encrypted at rest): the
 * titles of those ids, decrypted for this request only. Ids it does not know are dropped.
 */
export type RevealTitles = (
  tenantId: string,
  type: SearchType,
  ids: readonly string[],
) => Promise<ReadonlyMap<string, string>>

export interface SearchServiceDeps {
  readonly engine: SearchEngine
  /** The tenant's sealer for fuzzy tokens of encrypted fields (sealed.ts). */
  readonly sealer: (tenantId: string) => Sealer
  /** Blind indexes an identifier (passport, LEI…) is stored under at its encrypted source. */
  readonly identifierIndexes?: ((tenantId: string, value: string) => readonly string[]) | undefined
  readonly reveal?: RevealTitles | undefined
  /** Types whose titles come from `reveal` (their index title is empty). */
  readonly sealedTypes?: readonly SearchType[] | undefined
}

export interface SearchService {
  /**
   * Ranked, highlighted, paginated hits of one tenant. Errors: SEARCH_INVALID_QUERY (empty or too
   * long query, limit/offset out of range) · SEARCH_ENGINE_UNAVAILABLE.
   */
  search(tenantId: string, query: SearchQuery): Promise<SearchPage>
  /** The engine query a search sends (for the contract suite and diagnostics). */
  compile(tenantId: string, query: SearchQuery, limit: number): EngineQuery
}

export function createSearchService(deps: SearchServiceDeps): SearchService {
  const sealedTypes = new Set(deps.sealedTypes ?? ['party'])
  const compile = (tenantId: string, query: SearchQuery, limit: number): EngineQuery => {
    const raw = query.q.trim()
    const text = foldText(raw)
    const words = wordsOf(text).slice(0, MAX_QUERY_WORDS)
    const rawWords = raw.split(/\s+/).filter(Boolean).slice(0, MAX_QUERY_WORDS)
    const keys = new Set<string>()
    for (const v of [raw, ...rawWords]) {
      const k = identifierKey(v)
      if (k.length >= 2) keys.add(k)
      for (const b of deps.identifierIndexes?.(tenantId, v) ?? []) keys.add(b)
    }
    const wantsSealed = !query.types || query.types.some((t) => sealedTypes.has(t))
    return {
      tenantId,
      text: words.join(' '),
      words,
      sealedGroups: wantsSealed ? optionalWords(words, sealQuery(words, deps.sealer(tenantId))) : [],
      keys: [...keys],
      types: query.types,
      from: query.from,
      to: query.to,
      amountMin: query.amountMin,
      amountMax: query.amountMax,
      currency: query.currency,
      limit,
    }
  }
  return {
    compile,
    async search(tenantId, query) {
      const limit = query.limit ?? 20
      const offset = query.offset ?? 0
      validate(query, limit, offset)
      // The engine returns a window larger than the page: ranking here may reorder it.
      const window = Math.min(Math.max((offset + limit) * 3, 50), MAX_OFFSET + MAX_LIMIT)
      const eq = compile(tenantId, query, window)
      if (eq.words.length === 0 && eq.keys.length === 0)
        throw searchError('SEARCH_INVALID_QUERY', 'the query has no letters or digits')
      let candidates = await deps.engine.search(eq)
      // No document holds enough of the name words: the query says more than the record ("Akhtar
      // Mohammad Mansour Shah Mohammed" for "Akhtar Mansour") or one word is wrong ("Liz Thompson" for
      // Elizabeth). Then the documents matching fewer of them; a full match, when there is one, keeps
      // them out.
      const relaxed = relaxedMinimum(eq.sealedGroups)
      if (candidates.length === 0 && relaxed !== undefined)
        candidates = await deps.engine.search({ ...eq, sealedMinimum: relaxed })
      const titles = await revealTitles(tenantId, candidates)
      const keys = new Set(eq.keys)
      const ranked = candidates
        .map((c) => {
          const title = sealedTypes.has(c.doc.type) ? titles.get(c.doc.id) : c.doc.title
          if (title === undefined) return undefined
          const exact = c.doc.keys.some((k) => keys.has(k))
          // A party's title is its names (partiesSource: legal name first, then aliases): scored as
          // names, in both directions; its body (the id) as text.
          const text = sealedTypes.has(c.doc.type)
            ? Math.max(
                nameScore(eq.words, title.split(NAME_SEPARATOR)),
                textScore(eq.words, wordsOf(foldText(c.doc.body))),
              )
            : textScore(eq.words, wordsOf(foldText(`${title} ${c.doc.body}`)))
          const score = Math.max(exact ? EXACT_KEY_SCORE : 0, text)
          return { c, title, score }
        })
        .filter((x): x is { c: Candidate; title: string; score: number } => x !== undefined)
        .sort((a, b) => b.score - a.score || b.c.score - a.c.score || a.c.doc.id.localeCompare(b.c.doc.id))
      const hits: SearchHit[] = ranked.slice(offset, offset + limit).map(({ c, title, score }) => ({
        type: c.doc.type,
        id: c.doc.id,
        title,
        score: Math.round(score * 1000) / 1000,
        highlight: highlight(title, eq.words, keys),
        occurredAt: c.doc.occurredAt,
        amount: c.doc.amount,
        currency: c.doc.currency,
        attributes: c.doc.attributes,
      }))
      return { hits, total: ranked.length, offset, limit }
    },
  }

  async function revealTitles(
    tenantId: string,
    candidates: readonly Candidate[],
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    if (!deps.reveal) return out
    const byType = new Map<SearchType, string[]>()
    for (const c of candidates) {
      if (!sealedTypes.has(c.doc.type)) continue
      const list = byType.get(c.doc.type) ?? []
      list.push(c.doc.id)
      byType.set(c.doc.type, list)
    }
    for (const [type, ids] of byType)
      for (const [id, t] of await deps.reveal(tenantId, type, ids)) out.set(id, t)
    return out
  }
}

const optional = (w: string) => LEGAL_FORMS.has(w) || PARTICLES.has(w)

/**
 * A legal form in the query ("Ltd", "AG", "LLC") does not tell one organisation from another and is
 * often written differently on the record ("Stripe LLC" for "Stripe Limited Liability Company"), and a
 * particle (the screening normaliser's: "of", "the", "bin", "al", "van"…) is in too many names to narrow anything: such a word is not required (an
 * empty group) while the query has another word; it still counts in ranking.
 */
function optionalWords(words: readonly string[], groups: string[][]): string[][] {
  if (words.every(optional)) return groups
  return groups.map((g, i) => (optional(words[i]!) ? [] : g))
}

/** The fewer name words a document may match when none matches the default: one of two, two of more. */
function relaxedMinimum(groups: readonly (readonly string[])[]): number | undefined {
  const n = groups.filter((g) => g.length > 0).length
  if (n < 2) return undefined
  const relaxed = n === 2 ? 1 : 2
  return relaxed < requiredSealedMatches(n) ? relaxed : undefined
}

function validate(q: SearchQuery, limit: number, offset: number): void {
  if (q.q.trim().length === 0) throw searchError('SEARCH_INVALID_QUERY', 'q is empty')
  if (q.q.length > MAX_QUERY_LENGTH)
    throw searchError('SEARCH_INVALID_QUERY', `q is longer than ${MAX_QUERY_LENGTH} characters`)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw searchError('SEARCH_INVALID_QUERY', `limit must be 1..${MAX_LIMIT}`)
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET)
    throw searchError('SEARCH_INVALID_QUERY', `offset must be 0..${MAX_OFFSET}`)
  if (q.from && q.to && q.from > q.to) throw searchError('SEARCH_INVALID_QUERY', 'from is after to')
  if (q.amountMin !== undefined && q.amountMax !== undefined && q.amountMin > q.amountMax)
    throw searchError('SEARCH_INVALID_QUERY', 'amountMin is above amountMax')
}
