import { jaroWinkler } from '../screening/index.js'
import { isAbbreviation, nameForm, type NameForm } from './sealed.js'
import { foldText, wordsOf, type Highlight } from './search.js'

/**
 * Final relevance, the same for every engine: each query word is scored against the document's best
 * word (1 when equal, 0.97 when it starts it, else Jaro-Winkler), averaged over the query words; an
 * exact identifier scores above any fuzzy text. Engines only decide which candidates reach this.
 */
export function wordScore(q: string, w: string): number {
  if (q === w) return 1
  if (q.length >= 2 && w.startsWith(q)) return 0.97
  return jaroWinkler(q, w)
}

/** A word matched through an initial or an abbreviation of several words (sealed.ts `a:`, `I:`). */
const INITIAL_SCORE = 0.9
/** Below this, a joined pair of words is not taken as the same as a single word. */
const JOIN_MIN = 0.9

/** The initials of every run of 2–4 adjacent words, as one word ("peoples liberation army" → "pla"). */
function runsOf(words: readonly string[]): { from: number; to: number; text: string }[] {
  const out: { from: number; to: number; text: string }[] = []
  for (let i = 0; i < words.length; i++)
    for (let n = 2; n <= 4 && i + n <= words.length; n++)
      out.push({
        from: i,
        to: i + n,
        text: words
          .slice(i, i + n)
          .map((w) => w[0])
          .join(''),
      })
  return out
}

/**
 * Each query word's best score against the document's words, counting the phrase matches the
 * sealed tokens find: two words written as one on either side ("Goodwill" / "Good Will", typos
 * in the join allowed), a run of query words abbreviated to an acronym the name is written with
 * ("PLA"), a query acronym of a run of the name's words, and a stored initial ("A. Khamenei").
 */
function bestPerQueryWord(queryWords: readonly string[], doc: NameForm): number[] {
  const docWords = doc.words
  const best = queryWords.map((q) => Math.max(0, ...docWords.map((w) => wordScore(q, w))))
  const raise = (i: number, s: number) => {
    if (s > best[i]!) best[i] = s
  }
  queryWords.forEach((q, i) => {
    if (q.length > 1 && doc.initials.has(q[0]!)) raise(i, INITIAL_SCORE)
  })
  for (let i = 0; i + 1 < queryWords.length; i++) {
    const joined = `${queryWords[i]}${queryWords[i + 1]}`
    const s = Math.max(0, ...docWords.map((w) => wordScore(joined, w)))
    if (s >= JOIN_MIN) for (const k of [i, i + 1]) raise(k, s)
  }
  for (let j = 0; j + 1 < docWords.length; j++) {
    const joined = `${docWords[j]}${docWords[j + 1]}`
    queryWords.forEach((q, i) => {
      const s = wordScore(q, joined)
      if (s >= JOIN_MIN) raise(i, s)
    })
  }
  for (const a of runsOf(queryWords))
    if (doc.acronyms.has(a.text)) for (let k = a.from; k < a.to; k++) raise(k, INITIAL_SCORE)
  for (const a of runsOf(docWords))
    queryWords.forEach((q, i) => {
      if (q === a.text && isAbbreviation(q)) raise(i, INITIAL_SCORE)
    })
  return best
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

const NONE: ReadonlySet<string> = new Set()

export function textScore(queryWords: readonly string[], docWords: readonly string[]): number {
  if (queryWords.length === 0 || docWords.length === 0) return 0
  return mean(bestPerQueryWord(queryWords, { words: docWords, initials: NONE, acronyms: NONE }))
}

/**
 * How much of the name the query accounts for: each name word's best match among the query words,
 * counting it matched when it is a query pair written as one, the initials of query words, a stored
 * initial of a query word, or half of a pair the query writes as one word.
 */
function bestPerNameWord(queryWords: readonly string[], name: NameForm): number[] {
  const nameWords = name.words
  const joins = queryWords.slice(1).map((q, i) => `${queryWords[i]}${q}`)
  const abbreviated = new Set(runsOf(queryWords).map((a) => a.text))
  return nameWords.map((w, j) => {
    let best = Math.max(0, ...queryWords.map((q) => wordScore(q, w)))
    for (const joined of joins) {
      const s = wordScore(joined, w)
      if (s >= JOIN_MIN) best = Math.max(best, s)
    }
    if (name.acronyms.has(w) && abbreviated.has(w)) best = Math.max(best, INITIAL_SCORE)
    if (w.length === 1 && name.initials.has(w) && queryWords.some((q) => q.length > 1 && q[0] === w))
      best = Math.max(best, INITIAL_SCORE)
    for (const pair of [nameWords.slice(j - 1, j + 1), nameWords.slice(j, j + 2)])
      if (pair.length === 2 && queryWords.some((q) => wordScore(q, pair.join('')) >= JOIN_MIN))
        best = Math.max(best, INITIAL_SCORE)
    return best
  })
}

/**
 * A person's or organisation's name against the query, in both directions: the mean of how well the
 * query's words are found in the name and how well the name's words are found in the query. One
 * direction alone ranked "Mohammed Malhotra" above "Akhtar Mansour" for "Akhtar Mohammad Mansour Shah
 * Mohammed" (two query words match every Mohammed), and "Lauren Jonathan Smith" above "John Smith"
 * for "Jon Smyth". The best of the record's names (legal name, aliases) counts.
 */
export function nameScore(queryWords: readonly string[], names: readonly string[]): number {
  let best = 0
  for (const name of names) {
    const form = nameForm(name)
    if (form.words.length === 0 || queryWords.length === 0) continue
    const found = mean(bestPerQueryWord(queryWords, form))
    // One query word is a word looked for ("Smithe"), not a name to account for.
    const covered = queryWords.length > 1 ? mean(bestPerNameWord(queryWords, form)) : found
    best = Math.max(best, (found + covered) / 2)
  }
  return best
}

export const EXACT_KEY_SCORE = 2

/** Below this a title word is not marked as a match. */
const HIGHLIGHT_MIN = 0.88

/** The title cut into runs, words that match a query word marked (folded comparison, any script). */
export function highlight(
  title: string,
  queryWords: readonly string[],
  keys: ReadonlySet<string>,
): Highlight[] {
  const out: Highlight[] = []
  const push = (text: string, match: boolean) => {
    const last = out[out.length - 1]
    if (last && last.match === match) out[out.length - 1] = { text: last.text + text, match }
    else out.push({ text, match })
  }
  for (const part of title.split(/(\s+)/)) {
    if (!part) continue
    if (/^\s+$/.test(part)) {
      push(part, false)
      continue
    }
    const folded = wordsOf(foldText(part))
    const upper = part.toUpperCase().replace(/[^A-Z0-9]/g, '')
    const match =
      (upper.length > 0 && keys.has(upper)) ||
      folded.some((w) => queryWords.some((q) => wordScore(q, w) >= HIGHLIGHT_MIN))
    push(part, match)
  }
  return out
}
