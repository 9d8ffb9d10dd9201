import { LEGAL_FORMS, phoneticKey } from '../screening/index.js'
import { foldText, wordsOf } from './search.js'

/**
 * Keyed tokens for fuzzy search over encrypted fields (party names), so that no index holds their
 * plaintext (ADR 1100). A name word gives plaintext features, each then sealed with the tenant's
 * blind-index key (HMAC, truncated to 64 bits):
 *
 *   w:word        the word itself                      (exact word)
 *   d:variant     the word and each one-letter deletion (edit distance 1: a typo, a missing or extra
 *                 letter, two swapped letters — two strings within one edit share a variant)
 *   p:prefix      prefixes of 3..8 letters              (prefix search: "joh" finds "johnson")
 *   f:key         the screening phonetic key            (sound-alikes: "smyth" and "smith")
 *   v:key         the phonetic key with v and f as one  (transliterations of Russian -ов and German w:
 *                                                        "Petroff", "Petrow" and "Petrov"; only for
 *                                                        keys that hold either letter)
 *   i:letter      the first letter                      (an initial: "J Smith" finds "John Smith";
 *                                                        only a one-letter query word looks for it)
 *   I:letter      an initial the name is written with (`rawInitials`: "A. Khamenei", "JC Juncker");
 *                 every query word of two letters or more looks for its own first letter there
 *                 ("Ali Khamenei" finds "A. Khamenei")
 *
 * and, per name, features of adjacent words (words run together or abbreviated to initials):
 *
 *   w:joined      two adjacent words written as one      ("Goodwill" finds "Good Will")
 *   a:initials    the initials of 2–4 adjacent words     ("PLA" finds "People's Liberation Army",
 *                                                        "JC Juncker" finds "Jean-Claude Juncker")
 *   A:acronym     an acronym the name is written with    (`rawAcronyms`: "PLA", "NATO"; found by
 *                                                        "People's Liberation Army")
 *
 * The query side does the same the other way: the two words of a query written apart also look for
 * their join ("Rami Makhlouf" finds "RamiMakhlouf"; with a letter more in the stored join, too), and
 * 2–4 adjacent query words look for a stored acronym of their initials ("People's Liberation Army"
 * finds "PLA"; not any word of those letters: "Ahmed Latif Ibrahim" must not find every Ali).
 *
 * A query word gives the features that would match it (`queryFeatures`); a document matches a query
 * word when they share a sealed token. What the index reveals is equality of features inside one
 * tenant, the same leakage as the blind indexes parties already keep for exact names.
 */

export type Sealer = (feature: string) => string

const PREFIX_MIN = 3
const PREFIX_MAX = 8
/** Deletion variants of very short words match almost anything: only the word itself for those. */
const DELETE_MIN = 4

function deletions(word: string): string[] {
  const out: string[] = []
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1))
  return out
}

/** The screening phonetic key, and its v/f-merged form when it holds either letter (both sides alike). */
function addPhonetic(out: Set<string>, word: string): void {
  const f = phoneticKey(word)
  if (f.length < 2) return
  out.add(`f:${f}`)
  if (/[vf]/.test(f)) out.add(`v:${f.replace(/v/g, 'f')}`)
}

/** Runs of adjacent words abbreviated to their initials: 2 to 4 words. */
const RUN_MIN = 2
const RUN_MAX = 4
const LETTERS = /^[a-z]+$/

/** A raw name's words as written (split on spaces and hyphens), each also without trailing dots and commas. */
const rawTokens = (name: string) =>
  name
    .split(/[\s-]+/)
    .filter(Boolean)
    .map((token) => ({ token, t: token.replace(/[.,]+$/, '') }))

/**
 * The initials a name is written with, from its raw text: a Latin letter standing alone or before a
 * dot ("A. Khamenei", "J.-C. Juncker"), or two or three capitals without a vowel ("JC Juncker") that
 * are not a legal form ("LLC"). Read from the raw name, not the folded words: a Korean or Japanese
 * name folds to one-letter words ("이" → "i") that are not initials, and taking them as such matched
 * them to every query word.
 */
export function rawInitials(name: string): Set<string> {
  const out = new Set<string>()
  for (const { token, t } of rawTokens(name)) {
    if (/^[A-Za-z]$/.test(t) || /^[A-Za-z]\./.test(token)) out.add(t[0]!.toLowerCase())
    else if (/^[A-Z]{2,3}$/.test(t) && !/[AEIOUY]/.test(t) && !LEGAL_FORMS.has(t.toLowerCase()))
      for (const c of t.toLowerCase()) out.add(c)
  }
  return out
}

/**
 * The acronyms a name is written with: a word of 2–5 capitals in a name that also has lower-case
 * letters ("PLA China"), or the whole name when it is one such word ("PLA", "NATO"). In a name written
 * all in capitals ("ALI HASSAN", as lists write them) no word reads as an acronym, and legal forms
 * ("LLC") are not one.
 */
function rawAcronyms(name: string): Set<string> {
  const tokens = rawTokens(name).map((x) => x.t)
  const mixed = /[a-z]/.test(name)
  const out = new Set<string>()
  for (const t of tokens)
    if (/^[A-Z]{2,5}$/.test(t) && (mixed || tokens.length === 1) && !LEGAL_FORMS.has(t.toLowerCase()))
      out.add(t.toLowerCase())
  return out
}

/** A name as search reads it: its folded words, and the initials and acronyms it is written with. */
export interface NameForm {
  readonly words: readonly string[]
  readonly initials: ReadonlySet<string>
  readonly acronyms: ReadonlySet<string>
}

export const nameForm = (name: string): NameForm => ({
  words: wordsOf(foldText(name)),
  initials: rawInitials(name),
  acronyms: rawAcronyms(name),
})

/** The plaintext features a document's word is indexed under. */
export function documentFeatures(word: string): string[] {
  const out = new Set<string>([`w:${word}`, `d:${word}`])
  if (word.length >= DELETE_MIN) for (const v of deletions(word)) out.add(`d:${v}`)
  for (let n = PREFIX_MIN; n <= Math.min(word.length, PREFIX_MAX); n++) out.add(`p:${word.slice(0, n)}`)
  addPhonetic(out, word)
  if (word.length > 1) out.add(`i:${word[0]}`)
  return [...out]
}

/** Features of one name's adjacent words: their join, and the initials of runs of them. */
function documentPhraseFeatures(words: readonly string[]): string[] {
  const out = new Set<string>()
  for (let i = 0; i + 1 < words.length; i++) out.add(`w:${words[i]}${words[i + 1]}`)
  if (words.every((w) => LETTERS.test(w)))
    for (let i = 0; i < words.length; i++)
      for (let n = RUN_MIN; n <= RUN_MAX && i + n <= words.length; n++)
        out.add(
          `a:${words
            .slice(i, i + n)
            .map((w) => w[0])
            .join('')}`,
        )
  return [...out]
}

/** A word that may be the initials of 2–4 words: two letters only without a vowel ("jc", not "li"). */
export const isAbbreviation = (word: string): boolean =>
  word.length >= RUN_MIN &&
  word.length <= RUN_MAX &&
  LETTERS.test(word) &&
  (word.length > 2 || !/[aeiouy]/.test(word))

/** The plaintext features a query word matches a document's features with. */
export function queryFeatures(word: string): string[] {
  const out = new Set<string>([`w:${word}`, `d:${word}`])
  if (word.length === 1) out.add(`i:${word}`)
  if (word.length >= DELETE_MIN) for (const v of deletions(word)) out.add(`d:${v}`)
  if (word.length >= PREFIX_MIN) out.add(`p:${word.slice(0, PREFIX_MAX)}`)
  addPhonetic(out, word)
  if (word.length > 1 && LETTERS.test(word)) out.add(`I:${word[0]}`)
  // Two letters with a vowel ("li", "al") are far more often a name than initials: only "jc", "pl".
  if (isAbbreviation(word)) out.add(`a:${word}`)
  return [...out]
}

/**
 * Per query word, the features of the phrase around it: the word run together with its neighbour
 * (the join), and the initials of 2–4 adjacent words (a document
 * that abbreviates them to one word). Each feature joins the group of every word it covers, so a
 * document holding the join or the abbreviation matches all of those words at once.
 */
function queryPhraseFeatures(words: readonly string[]): string[][] {
  const out = words.map(() => new Set<string>())
  for (let i = 0; i + 1 < words.length; i++) {
    const joined = `${words[i]}${words[i + 1]}`
    // The join itself, not its deletions: forty more tokens per word made every array-overlap check
    // of a long query's groups (array length × array length per document) 4–5 s at 50,000 names.
    const features = [`w:${joined}`, `d:${joined}`]
    for (const f of features) {
      out[i]!.add(f)
      out[i + 1]!.add(f)
    }
  }
  for (let i = 0; i < words.length; i++)
    for (let n = RUN_MIN; n <= RUN_MAX && i + n <= words.length; n++) {
      const run = words.slice(i, i + n)
      if (!run.every((w) => LETTERS.test(w))) continue
      const abbreviation = `A:${run.map((w) => w[0]).join('')}`
      for (let k = i; k < i + n; k++) out[k]!.add(abbreviation)
    }
  return out.map((s) => [...s])
}

/** Sealed tokens of names as written (folded here; deduplicated). */
export function sealNames(names: readonly string[], seal: Sealer): string[] {
  const out = new Set<string>()
  for (const name of names) {
    const form = nameForm(name)
    for (const w of form.words) for (const f of documentFeatures(w)) out.add(seal(f))
    for (const f of documentPhraseFeatures(form.words)) out.add(seal(f))
    for (const letter of form.initials) out.add(seal(`I:${letter}`))
    for (const acronym of form.acronyms) out.add(seal(`A:${acronym}`))
  }
  return [...out]
}

/**
 * One group of sealed tokens per query word: a document matches the word if it holds any of them.
 * A group's first token is the word itself (`w:`), which engines may weigh above the others.
 */
export function sealQuery(words: readonly string[], seal: Sealer): string[][] {
  const phrase = queryPhraseFeatures(words)
  return words.map((w, i) => [...new Set([...queryFeatures(w), ...phrase[i]!])].map(seal))
}
