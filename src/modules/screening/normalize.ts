import anyAscii from 'any-ascii'
import { correctLegalWords, LEGAL_FORMS, LEGAL_PHRASES, UNAMBIGUOUS_LEGAL } from './legal-forms.js'

export { LEGAL_FORMS } from './legal-forms.js'

/**
 * Name normalisation shared by list entries and queries, so both sides meet in the same form:
 * Unicode NFKD without marks → transliteration to ASCII (any-ascii; Han/Hangul/Kana split
 * into syllables, Arabic/Hebrew flagged as consonant-only) → lower case → punctuation →
 * "LAST, First" reordering → honorifics and legal-form words removed (kept in `removed` for the
 * explanation).
 */

export type SubjectType = 'person' | 'entity' | 'vessel' | 'aircraft' | 'unknown'

export interface NameToken {
  readonly text: string
  /** Written in an abjad (Arabic, Hebrew…): vowels are missing, compare consonant skeletons. */
  readonly consonantal: boolean
  /** A syllable transliterated from Han characters: pinyin is deterministic, so only exact agreement counts. */
  readonly syllable?: boolean
  /** Transliterated from a Chinese, Korean or Japanese syllable (Han, Hangul, Kana). */
  readonly cjk?: boolean
}

export interface NormalizedName {
  readonly tokens: readonly NameToken[]
  /** Words dropped as honorifics or legal forms ("mr", "llc"), for explanations. */
  readonly removed: readonly string[]
  /** Tokens joined with spaces, in reading order. */
  readonly text: string
  /**
   * How many trailing tokens are the family name: the words before the comma of "SURNAME, Given
   * Names" (reordered to the end), else 1 for a person, else 0 (not known).
   */
  readonly surnameWords: number
}

export const HONORIFICS: ReadonlySet<string> = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'professor',
  'sir',
  'dame',
  'lord',
  'lady',
  'madam',
  'madame',
  'mister',
  'herr',
  'frau',
  'monsieur',
  'mme',
  'mlle',
  'senor',
  'senora',
  'sr',
  'sra',
  'sheikh',
  'shaikh',
  'sheik',
  'shaykh',
  'mullah',
  'mulla',
  'mawlawi',
  'maulavi',
  'maulvi',
  'mawlavi',
  'moulavi',
  'qari',
  'hajji',
  'haji',
  'hadji',
  'alhaji',
  'sayyid',
  'sayed',
  'syed',
  'imam',
  'ayatollah',
  'hojatoleslam',
  'general',
  'gen',
  'colonel',
  'col',
  'major',
  'maj',
  'captain',
  'capt',
  'lieutenant',
  'lt',
  'admiral',
  'adm',
  'brigadier',
  'sergeant',
  'sgt',
  'commander',
  'cmdr',
  'rev',
  'reverend',
  'father',
  'fr',
  'hon',
  'honourable',
  'honorable',
  'his',
  'her',
  'excellency',
  'he',
  'jr',
  'snr',
  'jnr',
  'esq',
  'phd',
  'md',
  'engineer',
  'eng',
  'ing',
  'president',
  'vice',
  'prime',
  'minister',
  'chairman',
  'senator',
  'deputy',
  'ambassador',
  'governor',
])

/** Particles that carry little identity ("al", "bin", "van"): kept, but weighed low by the scorer. */
export const PARTICLES: ReadonlySet<string> = new Set([
  'al',
  'el',
  'ul',
  'ur',
  'ud',
  'ad',
  'as',
  'ash',
  'at',
  'az',
  'bin',
  'ben',
  'ibn',
  'bint',
  'binti',
  'bte',
  'bt',
  'de',
  'da',
  'do',
  'dos',
  'das',
  'del',
  'della',
  'di',
  'du',
  'la',
  'le',
  'van',
  'von',
  'der',
  'den',
  'ter',
  'y',
  'e',
  'and',
  'of',
  'the',
  'for',
  'und',
  'et',
])

const ABJAD = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}]/u
const SYLLABIC = /[\p{Script=Han}\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}]/u
const HAN = /\p{Script=Han}/u
const HANGUL = /\p{Script=Hangul}/u

/**
 * any-ascii writes Hangul in Revised Romanization ("gim jeong eun"); sanctions lists write Korean
 * names the McCune-Reischauer way without diacritics ("KIM JONG UN", "KANG CHOL SU"). Bring the
 * syllable closer: unvoiced initials, eo → o, eu → u.
 */
function koreanAsListed(syllable: string): string {
  return syllable
    .toLowerCase()
    .replace(/^g/, 'k')
    .replace(/^d/, 't')
    .replace(/^b/, 'p')
    .replace(/eo/g, 'o')
    .replace(/eu/g, 'u')
}
/** Combining diacritics of Latin, Greek and Cyrillic (é = e + U+0301); marks of other scripts (Devanagari
 *  vowel signs, Thai vowels) carry sounds and stay, and Hangul jamo are recomposed after NFKD. */
function stripDiacritics(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (
      (c >= 0x300 && c <= 0x36f) ||
      (c >= 0x1ab0 && c <= 0x1aff) ||
      (c >= 0x1dc0 && c <= 0x1dff) ||
      (c >= 0x20d0 && c <= 0x20ff) ||
      (c >= 0xfe20 && c <= 0xfe2f)
    ) {
      continue
    }
    out += ch
  }
  return out
}
const APOSTROPHES = /['`"\u00b4\u02bb\u02bc\u02be\u02bf\u2018\u2019\u201c\u201d]/g

/** ASCII-folds one whitespace-free word; CJK characters become space-separated syllables. */
function foldWord(
  word: string,
  syllables?: Set<string>,
  cjk?: Set<string>,
): { text: string; consonantal: boolean } {
  if (SYLLABIC.test(word)) {
    let out = ''
    for (const ch of word) {
      if (!SYLLABIC.test(ch)) {
        out += anyAscii(ch)
        continue
      }
      let syl = anyAscii(ch)
      if (HAN.test(ch)) syllables?.add(syl.toLowerCase())
      else if (HANGUL.test(ch)) syl = koreanAsListed(syl)
      cjk?.add(syl.toLowerCase())
      out += ` ${syl} `
    }
    return { text: out, consonantal: false }
  }
  return { text: anyAscii(word), consonantal: ABJAD.test(word) }
}

/** Lower-case ASCII with punctuation reduced to single spaces; dotted initials "S.A." become "sa". */
function cleanAscii(s: string): string {
  return s
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(/(?<=\b[a-z])\.(?=[a-z]\b)/g, '')
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9,]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

function stripLegalPhrases(tokens: string[], removed: string[]): string[] {
  let out = tokens
  for (const phrase of LEGAL_PHRASES) {
    for (let i = 0; i + phrase.length <= out.length; i++) {
      let hit = true
      for (let k = 0; k < phrase.length; k++) {
        if (out[i + k] !== phrase[k]) {
          hit = false
          break
        }
      }
      if (hit && out.length > phrase.length) {
        removed.push(phrase.join(' '))
        out = [...out.slice(0, i), ...out.slice(i + phrase.length)]
        i--
      }
    }
  }
  return out
}

function looksLikeLegalTail(words: readonly string[]): boolean {
  return words.length > 0 && words.every((w) => LEGAL_FORMS.has(w) || PARTICLES.has(w) || w.length <= 1)
}

/**
 * "PUTIN, Vladimir" → "vladimir putin" for people (and for unknown types when the parts are
 * short and carry no legal form); "CIMEX, S.A." stays in order.
 */
function reorder(folded: string, type: SubjectType): { text: string; surnameWords: number } {
  const commas = folded.split(',')
  if (commas.length !== 2) return { text: folded.replace(/,/g, ' '), surnameWords: type === 'person' ? 1 : 0 }
  const [before = '', after = ''] = commas.map((p) => p.trim())
  const bw = before.split(' ').filter(Boolean)
  const aw = after.split(' ').filter(Boolean)
  if (bw.length === 0 || aw.length === 0 || looksLikeLegalTail(aw))
    return { text: `${before} ${after}`, surnameWords: type === 'person' ? 1 : 0 }
  const personLike =
    type === 'person' ||
    (type === 'unknown' &&
      bw.length <= 3 &&
      aw.length <= 4 &&
      ![...bw, ...aw].some((w) => LEGAL_FORMS.has(w)))
  return personLike
    ? { text: `${after} ${before}`, surnameWords: bw.length }
    : { text: `${before} ${after}`, surnameWords: 0 }
}

/**
 * People lose honorifics anywhere; entities lose legal forms anywhere; for an unknown type only
 * leading honorifics, trailing legal forms and unmistakable legal forms go ("Co Tae Hun" keeps "co").
 */
function stripWords(words: readonly string[], type: SubjectType, removed: string[]): string[] {
  if (type === 'person') return words.filter((w) => (HONORIFICS.has(w) ? (removed.push(w), false) : true))
  if (type === 'entity') return words.filter((w) => (LEGAL_FORMS.has(w) ? (removed.push(w), false) : true))
  if (type !== 'unknown') return [...words]
  let start = 0
  while (start < words.length && HONORIFICS.has(words[start]!)) removed.push(words[start++]!)
  let end = words.length
  while (end > start + 1 && LEGAL_FORMS.has(words[end - 1]!)) removed.push(words[--end]!)
  return words.slice(start, end).filter((w) => (UNAMBIGUOUS_LEGAL.has(w) ? (removed.push(w), false) : true))
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/
const PHRASE_STARTS = new Set(LEGAL_PHRASES.map((p) => p[0]!))

export function normalizeName(input: string, type: SubjectType = 'unknown'): NormalizedName {
  const consonantalWords = new Set<string>()
  const syllables = new Set<string>()
  const cjk = new Set<string>()
  let ascii: string
  if (PRINTABLE_ASCII.test(input)) ascii = input
  else {
    const decomposed = stripDiacritics(input.normalize('NFKD')).normalize('NFC')
    const folded: string[] = []
    for (const w of decomposed.split(/\s+/)) {
      if (!w) continue
      const f = foldWord(w, syllables, cjk)
      folded.push(f.text)
      if (f.consonantal) for (const t of cleanAscii(f.text).split(/[ ,]+/)) if (t) consonantalWords.add(t)
    }
    ascii = folded.join(' ')
  }
  const ordered = reorder(cleanAscii(ascii), type)
  const removed: string[] = []
  let words = ordered.text.split(' ').filter(Boolean)
  // A misspelt legal form ("LIMTED", "JOINT STOK COMPANY") is read as the form, then dropped like one.
  if (type === 'entity' || type === 'unknown') words = correctLegalWords(words)
  if (type !== 'person' && words.some((w) => PHRASE_STARTS.has(w))) words = stripLegalPhrases(words, removed)
  const kept = stripWords(words, type, removed)
  // Never strip a name down to nothing ("Limited", "General"): keep the words then.
  const final = kept.length > 0 ? kept : words
  if (kept.length === 0) removed.length = 0
  const tokens = final.map((t): NameToken => {
    if (syllables.has(t)) return { text: t, consonantal: false, syllable: true, cjk: true }
    if (cjk.has(t)) return { text: t, consonantal: false, cjk: true }
    return { text: t, consonantal: consonantalWords.has(t) }
  })
  // An unknown type written like a person's name (two to four plain words, no legal form) is read
  // like one: given names first, the family name last.
  const personLike =
    type === 'unknown' &&
    removed.length === 0 &&
    final.length >= 2 &&
    final.length <= 4 &&
    final.every((w) => /^[a-z]+$/.test(w))
  const surnameWords =
    final.length > 1 ? Math.min(ordered.surnameWords || (personLike ? 1 : 0), final.length - 1) : 0
  return { tokens, removed, text: final.join(' '), surnameWords }
}

/** Identifiers (passport numbers, registration numbers) compared exactly after this. */
export function normalizeIdentifier(value: string): string {
  return anyAscii(value.normalize('NFKC'))
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
}

/** Crypto addresses: hex (0x…) addresses are case-insensitive, base58/bech32 keep their case. */
export function normalizeCryptoAddress(value: string): string {
  const v = value.trim()
  if (/^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase()
  if (/^(bc1|ltc1|tb1)/i.test(v)) return v.toLowerCase()
  return v
}
