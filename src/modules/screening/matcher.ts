import { countryCode } from './countries.js'
import {
  normalizeCryptoAddress,
  normalizeIdentifier,
  normalizeName,
  PARTICLES,
  type NormalizedName,
  type SubjectType,
} from './normalize.js'
import type {
  AttributeEffect,
  Explanation,
  Hit,
  ListEntry,
  NameKind,
  PartMatch,
  ScreeningQuery,
} from './screening.js'
import {
  editDistance,
  editSimilarity,
  jaroWinkler,
  phoneticKey,
  sameShape,
  skeleton,
  vowelShape,
} from './similarity.js'

/**
 * The matcher: an in-memory index over every loaded name and alias, candidate retrieval through
 * tokens, phonetic keys, one-edit deletion neighbourhoods (so a typo in the first letters is still
 * found) and joined adjacent tokens; then a score that aligns name parts and weighs rare tokens
 * above common ones, adjusted by date of birth, country, identifiers and entity type.
 */

export interface ScorerParams {
  /** Token pairs below this similarity count as unmatched. */
  readonly tokenFloor: number
  /** Share of an unmatched token's weight that still counts against the score. */
  readonly unmatchedQueryWeight: number
  readonly unmatchedListWeight: number
  /** …for a listed person's given names after the first (middle names, patronymics): a customer
   *  often gives only the first of several given names. */
  readonly interiorListWeight: number
  /** …for a listed person's family name: a query holding only given names that a longer listed
   *  name contains is not that person by name alone. */
  readonly surnameListWeight: number
  /** Similarity of two spellings of one name by their vowel shape ("mohamed" / "muhammad"). */
  readonly shapeSimilarity: number
  /** Highest name score of a short (≤ 3 syllables) Chinese/Korean/Japanese-script name against a
   *  name in another script: romanisation merges many names into one spelling, so such a match
   *  alerts only with an agreeing date of birth or country. */
  readonly cjkShortCap: number
  /** Highest name score when none of a listed person's family-name words is matched: given names
   *  alone ("Miguel Angel") contained in a longer listed name do not name that person. */
  readonly noSurnameCap: number
  /** Multiplier when two tokens start with different letters (and do not sound alike). */
  readonly firstLetterPenalty: number
  /** Weight multiplier of particles ("al", "bin", "van"). */
  readonly particleWeight: number
  /** Exponent applied to IDF weights (0 = every token weighs the same). */
  readonly idfPower: number
  /** Weight of names marked as weak aliases (OFAC "weak a.k.a.", UN "Low" quality). */
  readonly weakAliasFactor: number
  /** Multiplier of non-identical tokens of at most five letters. */
  readonly shortTokenFactor: number
  /** Exponent sharpening partial token similarities (1 = linear). */
  readonly sharpen: number
}

export const DEFAULT_PARAMS: ScorerParams = {
  tokenFloor: 0.75,
  unmatchedQueryWeight: 1,
  unmatchedListWeight: 0.5,
  interiorListWeight: 0.2,
  surnameListWeight: 1,
  shapeSimilarity: 0.9,
  cjkShortCap: 0.8,
  noSurnameCap: 0.8,
  firstLetterPenalty: 0.9,
  particleWeight: 0.25,
  idfPower: 0.5,
  weakAliasFactor: 0.9,
  shortTokenFactor: 0.9,
  sharpen: 1,
}

/** Default alert threshold for this scorer (see docs/screening.md for how it was chosen). */
export const DEFAULT_THRESHOLD = 0.84

/** Document frequencies of tokens over a whole list corpus. Shared by small indexes (rescreening). */
export class TokenStats {
  private readonly df = new Map<string, number>()
  private names = 0

  addName(tokens: readonly string[]): void {
    this.names++
    const seen = new Set(tokens)
    for (const t of seen) this.df.set(t, (this.df.get(t) ?? 0) + 1)
  }

  get nameCount(): number {
    return this.names
  }

  frequency(token: string): number {
    return this.df.get(token) ?? 0
  }

  private cache = new Map<string, number>()
  private cacheFor: ScorerParams | undefined
  private cacheAt = -1

  /** IDF-based weight; tokens never seen in any list weigh as the rarest. Memoised per corpus size. */
  weight(token: string, params: ScorerParams): number {
    if (this.cacheFor !== params || this.cacheAt !== this.names || this.cache.size > 500_000) {
      this.cache.clear()
      this.cacheFor = params
      this.cacheAt = this.names
    }
    const hit = this.cache.get(token)
    if (hit !== undefined) return hit
    const w = this.computeWeight(token, params)
    this.cache.set(token, w)
    return w
  }

  private computeWeight(token: string, params: ScorerParams): number {
    const n = Math.max(this.names, 1)
    const df = this.df.get(token) ?? 0
    const idf = Math.log(1 + n / (df + 0.5))
    const w = params.idfPower === 0 ? 1 : Math.pow(Math.max(idf, 0.05), params.idfPower)
    return PARTICLES.has(token) ? w * params.particleWeight : w
  }
}

export interface PreparedName {
  readonly tokens: readonly string[]
  readonly phon: readonly string[]
  readonly cons: readonly boolean[]
  /** Han syllables: matched exactly or not at all. */
  readonly syl: readonly boolean[]
  /** Vowel shapes (vowelShape) of the tokens. */
  readonly shape: readonly string[]
  /** Tokens transliterated from Han, Hangul or Kana. */
  readonly cjk: readonly boolean[]
  readonly weights: readonly number[]
  /** Share of each token's weight that counts against the score when it is left unmatched as a listed token. */
  readonly missWeights: readonly number[]
  /** Index of a listed person's first family-name token (tokens.length when not known). */
  readonly surnameFrom: number
  /** An organisation, vessel or aircraft: its short words are dictionary words, where a one-letter
   *  difference is a slip more often than another name (unlike "chen" / "cheng"). */
  readonly organisation: boolean
  readonly joined: string
  readonly removed: readonly string[]
}

export function prepareName(
  n: NormalizedName,
  stats: TokenStats,
  params: ScorerParams,
  type: SubjectType = 'unknown',
): PreparedName {
  const tokens = n.tokens.map((t) => t.text).slice(0, 12)
  return {
    tokens,
    phon: tokens.map((t) => phoneticKey(t)),
    cons: n.tokens.slice(0, 12).map((t) => t.consonantal),
    syl: n.tokens.slice(0, 12).map((t) => t.syllable === true),
    shape: tokens.map((t) => vowelShape(t)),
    cjk: n.tokens.slice(0, 12).map((t) => t.cjk === true),
    weights: tokens.map((t) => stats.weight(t, params)),
    missWeights: missWeights(tokens.length, n.surnameWords, params),
    surnameFrom: n.surnameWords > 0 ? Math.max(1, tokens.length - n.surnameWords) : tokens.length,
    organisation: type === 'entity' || type === 'vessel' || type === 'aircraft',
    joined: tokens.join(''),
    removed: n.removed,
  }
}

/**
 * A person's name in reading order is given names then family name (surnameWords trailing tokens):
 * a missing first given name or a missing family name weighs more than a missing middle name.
 */
function missWeights(n: number, surnameWords: number, params: ScorerParams): number[] {
  const out = new Array<number>(n).fill(params.unmatchedListWeight)
  if (surnameWords <= 0 || n < 2) return out
  for (let j = 1; j < n; j++)
    out[j] = j >= n - surnameWords ? params.surnameListWeight : params.interiorListWeight
  return out
}

type How = PartMatch['how']

export interface TokenSim {
  sim: number
  how: How
}

const NO_MATCH: TokenSim = { sim: 0, how: 'fuzzy' }

/** Similarity of two single tokens, with first-letter and length penalties. */
export function tokenSimilarity(
  a: string,
  aPhon: string,
  aCons: boolean,
  b: string,
  bPhon: string,
  bCons: boolean,
  params: ScorerParams,
  aShape?: string,
  bShape?: string,
  organisation = false,
): TokenSim {
  if (a === b) return { sim: 1, how: 'exact' }
  if (aCons !== bCons) {
    // One side was written without vowels: compare consonant skeletons.
    const sa = skeleton(a)
    const sb = skeleton(b)
    if (sa.length === 0 || sb.length === 0) return NO_MATCH
    // Two consonants say little ("zr" is zar, zari, zora…): only longer skeletons count as strong.
    if (sa === sb) {
      // One or two consonants say little, except for a short name ("ly" = "ali").
      const latin = aCons ? b : a
      const sim = sa.length >= 4 ? 0.92 : sa.length === 3 ? 0.86 : latin.length <= 4 ? 0.8 : 0.7
      return { sim, how: 'consonants' }
    }
    const s = jaroWinkler(sa, sb) * 0.9
    return s > 0 ? { sim: s, how: 'consonants' } : NO_MATCH
  }
  if (a.length === 1 || b.length === 1) {
    return a[0] === b[0] ? { sim: 0.8, how: 'initial' } : NO_MATCH
  }
  const la = a.length
  const lb = b.length
  const short = Math.max(la, lb) <= 5
  const dist = editDistance(a, b)
  // Jaro-Winkler rewards shared prefixes ("castillo" / "castro"); blend in the edit distance.
  let sim = short ? jaroWinkler(a, b) : (jaroWinkler(a, b) + 1 - dist / Math.max(la, lb)) / 2
  let how: How = 'fuzzy'

  if (a.charCodeAt(0) !== b.charCodeAt(0) && aPhon[0] !== bPhon[0]) sim *= params.firstLetterPenalty
  const ratio = Math.min(la, lb) / Math.max(la, lb)
  if (ratio < 0.75) sim *= 0.85 + 0.2 * ratio
  if (!short && dist === 1) sim = Math.max(sim, Math.min(la, lb) >= 6 ? 0.93 : 0.9)
  if (aPhon === bPhon && aPhon.length >= 3 && ratio >= 0.75) {
    if (sim < 0.9) how = 'phonetic'
    sim = Math.max(sim, short ? 0.88 : 0.92)
  }
  // Short tokens ("chen" / "cheng", "ali" / "ala") are whole different names more often than typos.
  if (short && !organisation) sim *= params.shortTokenFactor
  if (Math.max(la, lb) <= 3) sim = Math.min(sim, 0.82)
  // …except for two kinds of slip that rarely make another name: a doubled letter ("yyu" / "yu",
  // "hassan" / "hasan") and two neighbours swapped ("afiz" / "faiz").
  if (dist === 1 && Math.min(la, lb) >= 2 && undouble(a) === undouble(b)) sim = Math.max(sim, 0.9)
  else if (dist === 1 && la === lb && la >= 4 && sameLetters(a, b)) sim = Math.max(sim, 0.88)
  // Two transliterations of one name: the same consonants with the vowels in the same places.
  if (
    sim < params.shapeSimilarity &&
    aShape !== undefined &&
    bShape !== undefined &&
    sameShape(a, aShape, b, bShape)
  ) {
    sim = params.shapeSimilarity
    how = 'phonetic'
  }
  return { sim: Math.min(sim, 0.99), how }
}

function undouble(t: string): string {
  let out = ''
  for (const ch of t) if (out[out.length - 1] !== ch) out += ch
  return out
}

function sameLetters(a: string, b: string): boolean {
  return [...a].sort().join('') === [...b].sort().join('')
}

interface Pair {
  q0: number
  q1: number
  c0: number
  c1: number
  sim: number
  how: How
}

export interface NameScore {
  readonly score: number
  readonly parts: PartMatch[]
  readonly unmatchedQuery: string[]
  readonly unmatchedList: string[]
}

/**
 * Aligns the parts of two names. Candidate pairs are single tokens against single tokens and
 * adjacent tokens joined against one token ("abdul hai" ~ "abdulhai"); pairs are taken greedily
 * by similarity, each token used once. The score is the weight-averaged similarity of matched
 * parts, with unmatched tokens counted at a fraction of their weight.
 */
export function scoreNamePair(
  q: PreparedName,
  c: PreparedName,
  params: ScorerParams,
  cache?: readonly Map<string, TokenSim>[],
): NameScore {
  const m = q.tokens.length
  const n = c.tokens.length
  if (m === 0 || n === 0)
    return { score: 0, parts: [], unmatchedQuery: [...q.tokens], unmatchedList: [...c.tokens] }
  const pairs: Pair[] = []
  const best = new Float64Array(m)
  for (let i = 0; i < m; i++) {
    const memo = cache?.[i]
    for (let j = 0; j < n; j++) {
      const key = c.organisation ? `\u0001${c.tokens[j]!}` : c.tokens[j]!
      let t = memo?.get(key)
      if (!t) {
        t =
          (q.syl[i] || c.syl[j]) && q.tokens[i] !== c.tokens[j]
            ? NO_MATCH
            : tokenSimilarity(
                q.tokens[i]!,
                q.phon[i]!,
                q.cons[i]!,
                c.tokens[j]!,
                c.phon[j]!,
                c.cons[j]!,
                params,
                q.shape[i],
                c.shape[j],
                c.organisation,
              )
        memo?.set(key, t)
      }
      if (t.sim >= params.tokenFloor) pairs.push({ q0: i, q1: i, c0: j, c1: j, sim: t.sim, how: t.how })
      if (t.sim > best[i]!) best[i] = t.sim
    }
  }
  // Joined neighbours: only when it could help (a token without an exact partner).
  for (let i = 0; i + 1 < m; i++) {
    if (best[i] === 1 && best[i + 1] === 1) continue
    const cat = q.tokens[i]! + q.tokens[i + 1]!
    const exactOnly = q.syl[i]! || q.syl[i + 1]!
    if (q.cons[i] && q.cons[i + 1]) {
      // "bd llh" (عبد الله) against "abdullah": compare consonant skeletons of the joined tokens.
      const sk = skeleton(cat)
      for (let j = 0; j < n; j++) {
        if (!c.cons[j] && sk.length >= 3 && skeleton(c.tokens[j]!) === sk)
          pairs.push({ q0: i, q1: i + 1, c0: j, c1: j, sim: 0.9, how: 'consonants' })
      }
      continue
    }
    for (let j = 0; j < n; j++) {
      const ct = c.tokens[j]!
      if (Math.abs(ct.length - cat.length) > 2 || ct[0] !== cat[0] || (exactOnly && cat !== ct)) continue
      const s = cat === ct ? 1 : Math.max(jaroWinkler(cat, ct), editSimilarity(cat, ct)) * 0.98
      if (s >= Math.max(params.tokenFloor, 0.88))
        pairs.push({ q0: i, q1: i + 1, c0: j, c1: j, sim: s, how: 'merged' })
    }
  }
  for (let j = 0; j + 1 < n; j++) {
    const cat = c.tokens[j]! + c.tokens[j + 1]!
    for (let i = 0; i < m; i++) {
      if (best[i] === 1) continue
      const qt = q.tokens[i]!
      if (Math.abs(qt.length - cat.length) > 2 || qt[0] !== cat[0] || (q.syl[i] && cat !== qt)) continue
      const s = cat === qt ? 1 : Math.max(jaroWinkler(cat, qt), editSimilarity(cat, qt)) * 0.98
      if (s >= Math.max(params.tokenFloor, 0.88))
        pairs.push({ q0: i, q1: i, c0: j, c1: j + 1, sim: s, how: 'merged' })
    }
  }
  pairs.sort((x, y) => y.sim - x.sim || y.q1 - y.q0 + y.c1 - y.c0 - (x.q1 - x.q0 + x.c1 - x.c0))
  const usedQ = new Uint8Array(m)
  const usedC = new Uint8Array(n)
  let num = 0
  let den = 0
  const parts: PartMatch[] = []
  for (const p of pairs) {
    let free = true
    for (let i = p.q0; i <= p.q1; i++) if (usedQ[i]) free = false
    for (let j = p.c0; j <= p.c1; j++) if (usedC[j]) free = false
    if (!free) continue
    let w = 0
    let wq = 0
    let wc = 0
    for (let i = p.q0; i <= p.q1; i++) {
      usedQ[i] = 1
      wq += q.weights[i]!
    }
    for (let j = p.c0; j <= p.c1; j++) {
      usedC[j] = 1
      wc += c.weights[j]!
    }
    w = wq + wc
    num += (p.sim === 1 ? 1 : Math.pow(p.sim, params.sharpen)) * w
    den += w
    parts.push({
      query: q.tokens.slice(p.q0, p.q1 + 1).join(' '),
      list: c.tokens.slice(p.c0, p.c1 + 1).join(' '),
      similarity: round3(p.sim),
      weight: round3(w / 2),
      how: p.how,
    })
  }
  const unmatchedQuery: string[] = []
  const unmatchedList: string[] = []
  for (let i = 0; i < m; i++) {
    if (usedQ[i]) continue
    unmatchedQuery.push(q.tokens[i]!)
    den += q.weights[i]! * params.unmatchedQueryWeight
  }
  for (let j = 0; j < n; j++) {
    if (usedC[j]) continue
    unmatchedList.push(c.tokens[j]!)
    den += c.weights[j]! * c.missWeights[j]!
  }
  let score = den > 0 ? num / den : 0
  // (An organisation's query is not held to a person's family name.)
  let familyMatched = c.surnameFrom >= n || q.organisation
  for (let j = c.surnameFrom; j < n && !familyMatched; j++) if (usedC[j]) familyMatched = true
  const cjk = cjkCap(q, c, params)
  // Token boundaries moved ("arefullaha ref" / "arefullah aref"): compare the joined letters too.
  if (
    q.joined.length >= 8 &&
    c.joined.length >= 8 &&
    Math.abs(q.joined.length - c.joined.length) <= 2 &&
    !q.syl.includes(true)
  ) {
    const joined = editSimilarity(q.joined, c.joined)
    if (joined >= 0.9 && joined * 0.97 > score) {
      score = Math.min(joined * 0.97, cjk)
      return {
        score,
        parts: [
          {
            query: q.tokens.join(' '),
            list: c.tokens.join(' '),
            similarity: round3(joined),
            weight: 1,
            how: 'merged',
          },
        ],
        unmatchedQuery: [],
        unmatchedList: [],
      }
    }
  }
  const cap = Math.min(cjk, familyMatched ? 1 : params.noSurnameCap)
  return { score: Math.min(score, cap), parts, unmatchedQuery, unmatchedList }
}

/** A short name written in Han, Hangul or Kana on one side only (see ScorerParams.cjkShortCap). */
function cjkCap(q: PreparedName, c: PreparedName, params: ScorerParams): number {
  const shortCjk = (n: PreparedName): boolean => n.tokens.length <= 3 && n.cjk.every(Boolean)
  const anyCjk = (n: PreparedName): boolean => n.cjk.some(Boolean)
  if ((shortCjk(q) && !anyCjk(c)) || (shortCjk(c) && !anyCjk(q))) return params.cjkShortCap
  return 1
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000

// ---------------------------------------------------------------- secondary attributes

interface PartialDate {
  y: number
  m?: number
  d?: number
  yTo?: number
}

export function parseDob(s: string): PartialDate | undefined {
  const t = s.trim()
  let r = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/.exec(t)
  if (r) {
    const out: PartialDate = { y: Number(r[1]) }
    if (r[2] && Number(r[2]) > 0) out.m = Number(r[2])
    if (r[3] && Number(r[3]) > 0) out.d = Number(r[3])
    return out
  }
  r = /^(\d{4})\/(\d{4})$/.exec(t)
  if (r) return { y: Number(r[1]), yTo: Number(r[2]) }
  r = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(t)
  if (r) {
    const out: PartialDate = { y: Number(r[3]) }
    if (Number(r[2]) > 0) out.m = Number(r[2])
    if (Number(r[1]) > 0) out.d = Number(r[1])
    return out
  }
  return undefined
}

/** Effect of the dates of birth on the score: best agreement over the entry's dates. */
export function dobEffect(query: string, listDobs: readonly string[]): AttributeEffect | undefined {
  const q = parseDob(query)
  if (!q || listDobs.length === 0) return undefined
  let best: AttributeEffect | undefined
  for (const raw of listDobs) {
    const l = parseDob(raw)
    if (!l) continue
    let e: AttributeEffect
    const lo = l.y
    const hi = l.yTo ?? l.y
    const dy = q.y < lo ? lo - q.y : q.y > hi ? q.y - hi : 0
    if (dy === 0) {
      if (l.yTo === undefined && q.m && l.m && q.d && l.d) {
        e =
          q.m === l.m && q.d === l.d
            ? { attribute: 'dob', effect: 1.2, detail: `date of birth ${raw} matches` }
            : { attribute: 'dob', effect: 0, detail: `same year of birth, different day (${raw})` }
      } else if (l.yTo === undefined && q.m && l.m && q.m !== l.m) {
        e = { attribute: 'dob', effect: 0, detail: `same year of birth, different month (${raw})` }
      } else {
        e = { attribute: 'dob', effect: 0.6, detail: `year of birth matches ${raw}` }
      }
    } else if (dy === 1) {
      e = { attribute: 'dob', effect: -0.3, detail: `year of birth one year off (${raw})` }
    } else if (dy <= 3) {
      e = { attribute: 'dob', effect: -1.5, detail: `year of birth ${dy} years off (${raw})` }
    } else {
      e = { attribute: 'dob', effect: -4, detail: `year of birth ${dy} years off (${raw})` }
    }
    if (!best || e.effect > best.effect) best = e
  }
  return best
}

export function countryEffect(
  query: readonly string[],
  list: readonly string[],
): AttributeEffect | undefined {
  if (query.length === 0 || list.length === 0) return undefined
  const shared = query.filter((c) => list.includes(c))
  if (shared.length > 0)
    return { attribute: 'country', effect: 0.4, detail: `country ${shared.join(', ')} matches` }
  return {
    attribute: 'country',
    effect: -0.8,
    detail: `countries differ (${query.join(', ')} vs ${list.join(', ')})`,
  }
}

export function typeEffect(query: SubjectType | undefined, list: SubjectType): AttributeEffect | undefined {
  if (!query || query === 'unknown' || list === 'unknown' || query === list) return undefined
  return { attribute: 'type', effect: -3, detail: `a ${query} queried, the entry is a ${list}` }
}

// ---------------------------------------------------------------- the index

interface IndexedName {
  readonly entry: number
  readonly kind: NameKind
  readonly display: string
  readonly prepared: PreparedName
  /** Vocabulary ids of the tokens. */
  readonly tids: Int32Array
  /** Sum of the token weights. */
  readonly total: number
}

export interface ScreenOptions {
  readonly threshold?: number
  readonly limit?: number
}

export interface PreparedQuery {
  readonly query: ScreeningQuery
  readonly name: PreparedName
  readonly countries: readonly string[]
  readonly ids: readonly string[]
  readonly crypto: readonly string[]
}

/** Candidates scored in full per query, after retrieval ranks them. */
const CANDIDATES = 48

export class ScreeningIndex {
  readonly entries: ListEntry[] = []
  private readonly names: IndexedName[] = []
  private readonly vocab = new Map<string, number>()
  private readonly vocabTokens: string[] = []
  private readonly vocabPhon: string[] = []
  private readonly vocabShape: string[] = []
  private readonly postings: number[][] = []
  private readonly phonIndex = new Map<string, number[]>()
  /** Most deletion keys belong to one token: a bare number then, an array only when shared (less garbage). */
  private readonly deleteIndex = new Map<string, number | number[]>()
  private readonly skeletonIndex = new Map<string, number[]>()
  /** Vowel shapes of tokens of four letters or more: other transliterations of the same name. */
  private readonly shapeIndex = new Map<string, number[]>()
  private readonly joinedIndex = new Map<string, number[]>()
  private readonly idIndex = new Map<string, number[]>()
  private readonly cryptoIndex = new Map<string, number[]>()
  private readonly entryCountries: string[][] = []
  private acc = new Float64Array(0)
  private stamp = new Int32Array(0)
  private tokStamp = new Int32Array(0)
  private epoch = 0
  private tokEpoch = 0

  /**
   * @param stats token statistics; pass the full corpus' stats to a small index (rescreening a
   *   list update) so rare and common tokens keep their weight. Omitted: the index's own names.
   */
  constructor(
    readonly params: ScorerParams = DEFAULT_PARAMS,
    private readonly sharedStats?: TokenStats,
  ) {
    this.stats = sharedStats ?? new TokenStats()
  }

  readonly stats: TokenStats
  private pending: { entry: number; kind: NameKind; display: string; norm: NormalizedName }[] = []
  private built = true

  get size(): number {
    return this.entries.length
  }

  get nameCount(): number {
    return this.names.length + this.pending.length
  }

  add(entry: ListEntry): void {
    const idx = this.entries.length
    this.entries.push(entry)
    const seen = new Set<string>()
    for (const n of entry.names) {
      const norm = normalizeName(n.name, entry.type)
      if (norm.tokens.length === 0 || seen.has(norm.text)) continue
      seen.add(norm.text)
      this.pending.push({ entry: idx, kind: n.kind, display: n.name, norm })
      if (!this.sharedStats) this.stats.addName(norm.tokens.map((t) => t.text))
    }
    for (const id of entry.identifiers) {
      const v = normalizeIdentifier(id.value)
      if (v.length >= 5) push(this.idIndex, v, idx)
    }
    for (const c of entry.cryptoAddresses) push(this.cryptoIndex, normalizeCryptoAddress(c.address), idx)
    this.entryCountries.push([...entry.countries])
    this.built = false
  }

  /** Computes weights and keys for names added since the last build. Called lazily by screen(). */
  build(): void {
    if (this.built) return
    for (const p of this.pending) {
      const id = this.names.length
      const prepared = prepareName(p.norm, this.stats, this.params, this.entries[p.entry]!.type)
      const tids = new Int32Array(prepared.tokens.length)
      let total = 0
      for (const w of prepared.weights) total += w
      this.names.push({ entry: p.entry, kind: p.kind, display: p.display, prepared, tids, total })
      for (let i = 0; i < prepared.tokens.length; i++) {
        const tok = prepared.tokens[i]!
        const tid = this.tokenId(tok, prepared.phon[i]!, prepared.shape[i]!)
        tids[i] = tid
        const post = this.postings[tid]!
        if (post[post.length - 1] !== id) post.push(id)
        if (i + 1 < prepared.tokens.length) push(this.joinedIndex, tok + prepared.tokens[i + 1]!, id)
      }
    }
    this.pending = []
    if (this.acc.length < this.names.length) {
      this.acc = new Float64Array(this.names.length)
      this.stamp = new Int32Array(this.names.length)
      this.tokStamp = new Int32Array(this.names.length)
    }
    this.built = true
  }

  private tokenId(tok: string, phon: string, shape: string): number {
    const existing = this.vocab.get(tok)
    if (existing !== undefined) return existing
    const id = this.vocabTokens.length
    this.vocab.set(tok, id)
    this.vocabTokens.push(tok)
    this.vocabPhon.push(phon)
    this.vocabShape.push(shape)
    this.postings.push([])
    if (tok.length >= 4) push(this.shapeIndex, shape, id)
    if (phon.length >= 3) push(this.phonIndex, phon, id)
    if (tok.length >= 4) for (const d of deletions(tok)) pushCompact(this.deleteIndex, d, id)
    const sk = skeleton(tok)
    if (sk.length >= 3) push(this.skeletonIndex, sk, id)
    return id
  }

  prepareQuery(query: ScreeningQuery): PreparedQuery {
    const norm = normalizeName(query.name, query.type ?? 'unknown')
    return {
      query,
      name: prepareName(norm, this.stats, this.params, query.type ?? 'unknown'),
      countries: (query.countries ?? [])
        .map((c) => countryCode(c))
        .filter((c): c is string => c !== undefined),
      ids: (query.identifiers ?? []).map(normalizeIdentifier).filter((v) => v.length > 0),
      crypto: (query.cryptoAddresses ?? []).map(normalizeCryptoAddress),
    }
  }

  /** Screens one query against every loaded entry. */
  screen(query: ScreeningQuery, opts: ScreenOptions = {}): Hit[] {
    return this.screenPrepared(this.prepareQuery(query), opts)
  }

  screenPrepared(pq: PreparedQuery, opts: ScreenOptions = {}): Hit[] {
    this.build()
    const threshold = opts.threshold ?? DEFAULT_THRESHOLD
    const limit = opts.limit ?? 10
    const hits = new Map<number, Hit>()
    this.exactHits(pq, hits)
    const q = pq.name
    if (q.tokens.length > 0 && this.names.length > 0) {
      const candidates = this.retrieve(q)
      const cache = candidates.length > 0 ? q.tokens.map(() => new Map<string, TokenSim>()) : undefined
      for (const nameId of candidates) {
        const name = this.names[nameId]!
        const hit = this.scoreCandidate(pq, name, hits.get(name.entry), threshold, cache)
        if (hit) hits.set(name.entry, hit)
      }
    }
    return [...hits.values()].sort((a, b) => b.score - a.score).slice(0, limit)
  }

  /** Adds `weight` to every name in `ids` not yet credited for the current query token. */
  private visit(ids: readonly number[], weight: number, touched: number[], addNew: boolean): void {
    const epoch = this.epoch
    const tokEpoch = this.tokEpoch
    const stamp = this.stamp
    const tokStamp = this.tokStamp
    const acc = this.acc
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!
      if (tokStamp[id] === tokEpoch) continue
      tokStamp[id] = tokEpoch
      if (stamp[id] !== epoch) {
        if (!addNew) continue
        stamp[id] = epoch
        acc[id] = weight
        touched.push(id)
      } else acc[id] = acc[id]! + weight
    }
  }

  /** Vocabulary tokens that may be the same word as query token `i`, with the share of its weight they
   *  earn: 1 for the token itself, its similarity for a neighbour that clears the token floor. */
  private similarTokens(q: PreparedName, i: number, out: Map<number, number>): void {
    const tok = q.tokens[i]!
    const add = (tid: number, share: number): void => {
      if (out.has(tid)) return
      if (share < 1) {
        const t = tokenSimilarity(
          tok,
          q.phon[i]!,
          q.cons[i]!,
          this.vocabTokens[tid]!,
          this.vocabPhon[tid]!,
          false,
          this.params,
          q.shape[i],
          this.vocabShape[tid],
        )
        if (t.sim < this.params.tokenFloor) return
        share = t.sim
      }
      out.set(tid, share)
    }
    const exact = this.vocab.get(tok)
    if (exact !== undefined) add(exact, 1)
    if (q.syl[i]) return
    if (q.cons[i]) {
      // Skeletons of one or two consonants match too much to be worth a lookup (they score low anyway).
      const sk = skeleton(tok)
      if (sk.length >= 3) for (const t of this.skeletonIndex.get(sk) ?? []) add(t, 0.8)
      return
    }
    const phon = q.phon[i]!
    if (phon.length >= 3) for (const t of this.phonIndex.get(phon) ?? []) add(t, 0.8)
    if (tok.length >= 4) for (const t of this.shapeIndex.get(q.shape[i]!) ?? []) add(t, 0.8)
    if (tok.length >= 4) {
      forIds(this.deleteIndex.get(tok), (t) => add(t, 0.8))
      for (let k = 0; k < tok.length; k++) {
        const d = tok.slice(0, k) + tok.slice(k + 1)
        const v = this.vocab.get(d)
        if (v !== undefined) add(v, 0.8)
        forIds(this.deleteIndex.get(d), (t) => add(t, 0.8))
      }
    }
    // "abdul hai" in the query against a listed "abdulhai".
    if (i + 1 < q.tokens.length) {
      const v = this.vocab.get(tok + q.tokens[i + 1]!)
      if (v !== undefined) add(v, 1)
    }
  }

  /**
   * Candidate names: those sharing with the query a token, a phonetic key, a one-edit neighbour
   * (deletion neighbourhoods, so typos anywhere, first letters included, are found) or a joined
   * pair of adjacent tokens, ranked by the IDF weight of what they share. Query tokens are taken
   * rarest first; once the tokens left could no longer lift a new name to the minimum share, they
   * only add to names already found (scanning those names instead of long posting lists).
   */
  private retrieve(q: PreparedName): number[] {
    this.epoch++
    const touched: number[] = []
    let qTotal = 0
    for (const w of q.weights) qTotal += w
    // A name sharing less than 40 % of the query's weight cannot reach a name score near 0.6.
    const min = qTotal * 0.4
    const order = q.tokens.map((_, i) => i).sort((a, b) => q.weights[b]! - q.weights[a]!)
    let remaining = qTotal
    const shares = new Map<number, number>()
    for (const i of order) {
      const tok = q.tokens[i]!
      const w = q.weights[i]!
      const addNew = remaining >= min
      remaining -= w
      if (PARTICLES.has(tok) && q.tokens.length > 1) continue
      this.tokEpoch++
      shares.clear()
      this.similarTokens(q, i, shares)
      let postingsSize = 0
      for (const tid of shares.keys()) postingsSize += this.postings[tid]!.length
      if (!addNew && touched.length * 4 < postingsSize) {
        // Few names found so far: check their tokens rather than walk long posting lists.
        const acc = this.acc
        for (const id of touched) {
          const tids = this.names[id]!.tids
          let best = 0
          for (let k = 0; k < tids.length; k++) {
            const sh = shares.get(tids[k]!)
            if (sh !== undefined && sh > best) best = sh
          }
          if (best > 0) acc[id] = acc[id]! + w * best
        }
        continue
      }
      // Exact first, so a name holding the token itself is credited in full.
      for (const [tid, share] of [...shares.entries()].sort((a, b) => b[1] - a[1])) {
        this.visit(this.postings[tid]!, w * share, touched, addNew)
      }
      // "abdulhai" in the query against a listed "abdul hai".
      const joined = this.joinedIndex.get(tok)
      if (joined) this.visit(joined, w, touched, addNew)
    }
    if (touched.length === 0) return []
    const acc = this.acc
    const ranked = touched.filter((id) => acc[id]! >= min)
    if (ranked.length > CANDIDATES) {
      // Rank by shared weight, less what the listed name leaves unexplained (long names rank lower).
      const names = this.names
      const key = (id: number): number => acc[id]! - 0.25 * Math.max(0, names[id]!.total - acc[id]!)
      ranked.sort((a, b) => key(b) - key(a))
      ranked.length = CANDIDATES
    }
    return ranked
  }

  private exactHits(pq: PreparedQuery, hits: Map<number, Hit>): void {
    const add = (entryIdx: number, kind: 'identifier' | 'crypto', value: string): void => {
      const e = this.entries[entryIdx]!
      const primary = e.names[0]?.name ?? e.key
      hits.set(entryIdx, {
        listId: e.listId,
        entryKey: e.key,
        entryType: e.type,
        primaryName: primary,
        score: 1,
        explanation: {
          matchedName: primary,
          nameKind: 'primary',
          nameScore: 0,
          parts: [],
          unmatchedQuery: [],
          unmatchedList: [],
          ignoredWords: [],
          attributes: [],
          exact: { kind, value },
          summary: `${kind === 'crypto' ? 'crypto address' : 'identifier'} ${value} is listed on this entry`,
        },
      })
    }
    for (const id of pq.ids) for (const e of this.idIndex.get(id) ?? []) add(e, 'identifier', id)
    for (const c of pq.crypto) for (const e of this.cryptoIndex.get(c) ?? []) add(e, 'crypto', c)
  }

  private scoreCandidate(
    pq: PreparedQuery,
    name: IndexedName,
    prev: Hit | undefined,
    threshold: number,
    cache?: readonly Map<string, TokenSim>[],
  ): Hit | undefined {
    if (prev?.explanation.exact) return undefined
    const e = this.entries[name.entry]!
    const ns = scoreNamePair(pq.name, name.prepared, this.params, cache)
    let nameScore = ns.score
    if (name.kind === 'weak_alias') nameScore *= this.params.weakAliasFactor
    if (nameScore < 0.5) return undefined
    const attributes: AttributeEffect[] = []
    const dob = pq.query.dob ? dobEffect(pq.query.dob, e.dobs) : undefined
    if (dob) attributes.push(dob)
    const country = countryEffect(pq.countries, this.entryCountries[name.entry]!)
    if (country) attributes.push(country)
    const type = typeEffect(pq.query.type, e.type)
    if (type) attributes.push(type)
    const score = combine(nameScore, attributes)
    if (score < threshold || (prev && prev.score >= score)) return undefined
    const explanation: Explanation = {
      matchedName: name.display,
      nameKind: name.kind,
      nameScore: round3(nameScore),
      parts: ns.parts,
      unmatchedQuery: ns.unmatchedQuery,
      unmatchedList: ns.unmatchedList,
      ignoredWords: [...pq.name.removed],
      attributes,
      summary: summarize(ns, nameScore, attributes, name),
    }
    return {
      listId: e.listId,
      entryKey: e.key,
      entryType: e.type,
      primaryName: e.names[0]?.name ?? name.display,
      score: round3(score),
      explanation,
    }
  }
}

/**
 * Combines the name score with the secondary attributes as evidence in log-odds: each attribute
 * adds its log-likelihood ratio to logit(name score). A perfect name stays below 1 only when
 * some attribute speaks against it; the result never saturates the way adding points would.
 */
export function combine(nameScore: number, attributes: readonly AttributeEffect[]): number {
  if (attributes.length === 0) return nameScore
  const p = Math.min(Math.max(nameScore, 0.001), 0.995)
  let logit = Math.log(p / (1 - p))
  // Agreeing attributes support a name that already looks alike; they cannot make a weak name
  // match an alert (many people share a year of birth and a country).
  const support = Math.min(1, Math.max(0, (nameScore - 0.6) / 0.2))
  let sum = 0
  for (const a of attributes) sum += a.effect > 0 ? a.effect * support : a.effect
  if (nameScore >= 1 && sum >= 0) return 1
  logit += sum
  return 1 / (1 + Math.exp(-logit))
}

function summarize(
  ns: NameScore,
  nameScore: number,
  attrs: readonly AttributeEffect[],
  name: IndexedName,
): string {
  const parts = ns.parts.map((p) =>
    p.how === 'exact' ? p.list : `${p.query}≈${p.list} (${p.how} ${p.similarity})`,
  )
  let s = `name ${round3(nameScore)} vs ${name.kind} "${name.display}": ${parts.join(', ')}`
  if (ns.unmatchedQuery.length) s += `; not in listed name: ${ns.unmatchedQuery.join(' ')}`
  if (ns.unmatchedList.length) s += `; listed but not queried: ${ns.unmatchedList.join(' ')}`
  for (const a of attrs) s += `; ${a.detail} (${a.effect >= 0 ? '+' : ''}${a.effect})`
  return s
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const list = map.get(key)
  if (list) {
    if (list[list.length - 1] !== value) list.push(value)
  } else map.set(key, [value])
}

function pushCompact(map: Map<string, number | number[]>, key: string, value: number): void {
  const cur = map.get(key)
  if (cur === undefined) map.set(key, value)
  else if (typeof cur === 'number') {
    if (cur !== value) map.set(key, [cur, value])
  } else if (cur[cur.length - 1] !== value) cur.push(value)
}

function forIds(v: number | readonly number[] | undefined, fn: (id: number) => void): void {
  if (v === undefined) return
  if (typeof v === 'number') fn(v)
  else for (const id of v) fn(id)
}

function deletions(tok: string): string[] {
  const out: string[] = []
  for (let i = 0; i < tok.length; i++) {
    const d = tok.slice(0, i) + tok.slice(i + 1)
    if (out[out.length - 1] !== d) out.push(d)
  }
  return out
}

/** Scores two free-standing names (no index): for the evaluation of name pairs. */
export function scoreNames(
  a: string,
  b: string,
  type: SubjectType,
  stats: TokenStats,
  params: ScorerParams = DEFAULT_PARAMS,
): number {
  const pa = prepareName(normalizeName(a, type), stats, params, type)
  const pb = prepareName(normalizeName(b, type), stats, params, type)
  return scoreNamePair(pa, pb, params).score
}

/** The plain baseline: Jaro-Winkler over the whole normalised strings. */
export function baselineScore(a: string, b: string): number {
  return jaroWinkler(normalizeName(a).text, normalizeName(b).text)
}
