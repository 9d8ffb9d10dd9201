import { phoneticKey } from '../screening/index.js'

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

/** The plaintext features a document's word is indexed under. */
export function documentFeatures(word: string): string[] {
  const out = new Set<string>([`w:${word}`, `d:${word}`])
  if (word.length >= DELETE_MIN) for (const v of deletions(word)) out.add(`d:${v}`)
  for (let n = PREFIX_MIN; n <= Math.min(word.length, PREFIX_MAX); n++) out.add(`p:${word.slice(0, n)}`)
  addPhonetic(out, word)
  if (word.length > 1) out.add(`i:${word[0]}`)
  return [...out]
}

/** The plaintext features a query word matches a document's features with. */
export function queryFeatures(word: string): string[] {
  const out = new Set<string>([`w:${word}`, `d:${word}`])
  if (word.length === 1) out.add(`i:${word}`)
  if (word.length >= DELETE_MIN) for (const v of deletions(word)) out.add(`d:${v}`)
  if (word.length >= PREFIX_MIN) out.add(`p:${word.slice(0, PREFIX_MAX)}`)
  addPhonetic(out, word)
  return [...out]
}

/** Sealed tokens of every word of the folded names (deduplicated). */
export function sealWords(words: Iterable<string>, seal: Sealer): string[] {
  const out = new Set<string>()
  for (const w of words) for (const f of documentFeatures(w)) out.add(seal(f))
  return [...out]
}

/** One group of sealed tokens per query word: a document matches the word if it holds any of them. */
export function sealQuery(words: readonly string[], seal: Sealer): string[][] {
  return words.map((w) => queryFeatures(w).map(seal))
}
