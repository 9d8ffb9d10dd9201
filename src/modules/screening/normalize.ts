import anyAscii from 'any-ascii'

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
}

export interface NormalizedName {
  readonly tokens: readonly NameToken[]
  /** Words dropped as honorifics or legal forms ("mr", "llc"), for explanations. */
  readonly removed: readonly string[]
  /** Tokens joined with spaces, in reading order. */
  readonly text: string
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

export const LEGAL_FORMS: ReadonlySet<string> = new Set([
  'llc',
  'ltd',
  'limited',
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'plc',
  'gmbh',
  'ag',
  'kg',
  'ohg',
  'ug',
  'ev',
  'sa',
  'sas',
  'sarl',
  'sl',
  'srl',
  'spa',
  'bv',
  'nv',
  'ab',
  'as',
  'asa',
  'oy',
  'oyj',
  'aps',
  'kft',
  'zrt',
  'doo',
  'dd',
  'ad',
  'ead',
  'ooo',
  'oao',
  'zao',
  'pao',
  'ao',
  'tov',
  'pjsc',
  'ojsc',
  'cjsc',
  'jsc',
  'pte',
  'pty',
  'llp',
  'lp',
  'fze',
  'fzco',
  'fzc',
  'fzllc',
  'dmcc',
  'wll',
  'bsc',
  'saog',
  'saoc',
  'pjs',
  'sdn',
  'bhd',
  'tbk',
  'pt',
  'cv',
  'sae',
  'sal',
  'sak',
  'kk',
  'gk',
  'nl',
  'se',
  'sp',
  'zoo',
  'sro',
  'as',
  'lda',
  'ltda',
  'eirl',
  'sapi',
  'sab',
  'ltee',
  'cia',
  'establishment',
  'est',
  'aktiengesellschaft',
  'aktiengeselschaft',
  'kommanditgesellschaft',
  'intl',
  'int',
  'group',
  'holding',
  'holdings',
])

/** Multi-word legal forms, matched as whole token runs. */
const LEGAL_PHRASES: readonly (readonly string[])[] = [
  ['sa', 'de', 'cv'],
  ['s', 'de', 'rl', 'de', 'cv'],
  ['s', 'de', 'rl'],
  ['de', 'cv'],
  ['sp', 'z', 'o', 'o'],
  ['public', 'joint', 'stock', 'company'],
  ['closed', 'joint', 'stock', 'company'],
  ['open', 'joint', 'stock', 'company'],
  ['joint', 'stock', 'company'],
  ['limited', 'liability', 'company'],
  ['limited', 'liability', 'partnership'],
  ['private', 'limited', 'company'],
  ['public', 'limited', 'company'],
  ['obshchestvo', 's', 'ogranichennoi', 'otvetstvennostyu'],
  ['obshchestvo', 's', 'ogranichennoy', 'otvetstvennostyu'],
  ['aktsionernoe', 'obshchestvo'],
  ['publichnoe', 'aktsionernoe', 'obshchestvo'],
  ['zakrytoe', 'aktsionernoe', 'obshchestvo'],
  ['otkrytoe', 'aktsionernoe', 'obshchestvo'],
  ['sociedad', 'anonima'],
  ['societe', 'anonyme'],
  ['co', 'ltd'],
  ['gesellschaft', 'mit', 'beschrankter', 'haftung'],
  ['societatea', 'cu', 'raspundere', 'limitata'],
  ['societe', 'a', 'responsabilite', 'limitee'],
  ['sociedad', 'de', 'responsabilidad', 'limitada'],
  ['societa', 'a', 'responsabilita', 'limitata'],
  ['societa', 'per', 'azioni'],
  ['naamloze', 'vennootschap'],
  ['besloten', 'vennootschap'],
  ['limited', 'liability', 'company'],
  ['aktsionernoye', 'obshchestvo'],
]

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
function foldWord(word: string, syllables?: Set<string>): { text: string; consonantal: boolean } {
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
function reorder(folded: string, type: SubjectType): string {
  const commas = folded.split(',')
  if (commas.length !== 2) return folded.replace(/,/g, ' ')
  const [before = '', after = ''] = commas.map((p) => p.trim())
  const bw = before.split(' ').filter(Boolean)
  const aw = after.split(' ').filter(Boolean)
  if (bw.length === 0 || aw.length === 0 || looksLikeLegalTail(aw)) return `${before} ${after}`
  const personLike =
    type === 'person' ||
    (type === 'unknown' &&
      bw.length <= 3 &&
      aw.length <= 4 &&
      ![...bw, ...aw].some((w) => LEGAL_FORMS.has(w)))
  return personLike ? `${after} ${before}` : `${before} ${after}`
}

/** Legal-form words unlikely to be part of a person's name: stripped anywhere even when the type is unknown. */
const UNAMBIGUOUS_LEGAL = new Set([
  'llc',
  'ltd',
  'limited',
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'company',
  'plc',
  'gmbh',
  'ooo',
  'oao',
  'zao',
  'pao',
  'pjsc',
  'ojsc',
  'cjsc',
  'jsc',
  'llp',
  'fze',
  'fzco',
  'fzc',
  'fzllc',
  'sarl',
  'srl',
  'spa',
  'bhd',
  'ltda',
  'dmcc',
  'wll',
  'aktiengesellschaft',
])

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
  let ascii: string
  if (PRINTABLE_ASCII.test(input)) ascii = input
  else {
    const decomposed = stripDiacritics(input.normalize('NFKD')).normalize('NFC')
    const folded: string[] = []
    for (const w of decomposed.split(/\s+/)) {
      if (!w) continue
      const f = foldWord(w, syllables)
      folded.push(f.text)
      if (f.consonantal) for (const t of cleanAscii(f.text).split(/[ ,]+/)) if (t) consonantalWords.add(t)
    }
    ascii = folded.join(' ')
  }
  const ordered = reorder(cleanAscii(ascii), type)
  const removed: string[] = []
  let words = ordered.split(' ').filter(Boolean)
  if (type !== 'person' && words.some((w) => PHRASE_STARTS.has(w))) words = stripLegalPhrases(words, removed)
  const kept = stripWords(words, type, removed)
  // Never strip a name down to nothing ("Limited", "General"): keep the words then.
  const final = kept.length > 0 ? kept : words
  if (kept.length === 0) removed.length = 0
  const tokens = final.map((t) =>
    syllables.has(t)
      ? { text: t, consonantal: false, syllable: true }
      : { text: t, consonantal: consonantalWords.has(t) },
  )
  return { tokens, removed, text: final.join(' ') }
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
