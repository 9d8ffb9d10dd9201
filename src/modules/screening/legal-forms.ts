import { editDistance } from './similarity.js'

/**
 * Legal forms of organisations across languages, with their abbreviations, and the fuzzy match
 * that recognises a misspelt one. A legal form says nothing about which organisation it is, and
 * an unrecognised one is worse than useless: a word the lists never contain ("LIMTED") weighs as
 * the rarest word there is and drowns the distinctive name. So every spelling of a form is dropped
 * from organisation names (and kept in `removed` for the explanation), and a word within one typing
 * slip of a legal-form word (two for long words) counts as that word, unless the form is so short
 * that the slip is more likely another real word (see strictSlips).
 */

/**
 * Each row is one legal form: its full words and its abbreviations, as they appear after
 * normalisation (lower case, dotted initials joined: "S.A." → "sa"). The table is what is
 * recognised; the rows only document which spellings belong together.
 */
export const LEGAL_FORM_TABLE: readonly (readonly string[])[] = [
  // English
  ['limited', 'ltd', 'ltda', 'limitada', 'limitee', 'ltee'],
  ['company', 'co', 'cie', 'cia', 'compania', 'companhia', 'compagnie'],
  ['company limited', 'co ltd', 'company ltd', 'co limited'],
  ['public company limited', 'pcl', 'public co ltd'],
  ['corporation', 'corp', 'corporacion'],
  ['incorporated', 'inc'],
  ['public limited company', 'plc'],
  ['private limited', 'pvt ltd', 'pte ltd', 'pty ltd', 'pvt', 'pte', 'pty', 'private limited company'],
  ['limited liability company', 'llc', 'l l c'],
  ['limited liability partnership', 'llp'],
  ['limited partnership', 'lp'],
  ['establishment', 'est', 'etablissement', 'etablissements'],
  ['group', 'holding', 'holdings', 'intl', 'int'],
  // Russian, Ukrainian, Belarusian (transliterated) and their English renderings
  ['joint stock company', 'jsc', 'aktsionernoe obshchestvo', 'aktsionernoye obshchestvo', 'ao'],
  ['public joint stock company', 'pjsc', 'publichnoe aktsionernoe obshchestvo', 'pao'],
  ['open joint stock company', 'ojsc', 'otkrytoe aktsionernoe obshchestvo', 'oao'],
  ['closed joint stock company', 'cjsc', 'zakrytoe aktsionernoe obshchestvo', 'zao'],
  [
    'obshchestvo s ogranichennoi otvetstvennostyu',
    'obshchestvo s ogranichennoy otvetstvennostyu',
    'ooo',
    'tov',
    'tovarystvo z obmezhenoyu vidpovidalnistyu',
  ],
  ['joint stock', 'pjs'],
  // German, Austrian, Swiss, Dutch, Nordic
  ['gesellschaft mit beschrankter haftung', 'gmbh'],
  ['aktiengesellschaft', 'aktiengeselschaft', 'ag'],
  ['kommanditgesellschaft', 'kg', 'ohg', 'ug', 'ev'],
  ['naamloze vennootschap', 'nv'],
  ['besloten vennootschap', 'bv'],
  ['aktiebolag', 'ab', 'as', 'asa', 'aps', 'oy', 'oyj'],
  // Romance languages
  ['sociedad anonima', 'societe anonyme', 'sociedade anonima', 'societa anonima', 'sa', 'sae', 'sal', 'sak'],
  ['sa de cv', 'de cv', 'sapi', 'sab', 'sa de cv'],
  ['s de rl de cv', 's de rl'],
  ['sociedad de responsabilidad limitada', 'srl', 'sl'],
  ['societe a responsabilite limitee', 'sarl', 'eirl', 'sas'],
  ['societa a responsabilita limitata', 'srl'],
  ['societa per azioni', 'spa'],
  ['societatea cu raspundere limitata', 'srl'],
  ['lda'],
  // Central and Eastern Europe
  ['spolka z ograniczona odpowiedzialnoscia', 'sp z o o', 'sp zoo', 'sp', 'zoo'],
  ['spolecnost s rucenim omezenym', 'sro'],
  ['korlatolt felelossegu tarsasag', 'kft', 'zrt'],
  ['drustvo s ogranicenom odgovornoscu', 'doo', 'dd', 'ad', 'ead'],
  // Gulf, Asia
  ['free zone establishment', 'fze', 'fzco', 'fzc', 'fzllc', 'fz llc'],
  ['dmcc', 'wll', 'bsc', 'saog', 'saoc'],
  ['sendirian berhad', 'sdn bhd', 'sdn', 'bhd', 'berhad'],
  ['perseroan terbatas', 'pt', 'tbk', 'cv'],
  ['kabushiki kaisha', 'kk', 'gk', 'godo kaisha'],
  ['nl', 'se'],
]

/** Single words that are a legal form (or a word only legal forms use). */
export const LEGAL_FORMS: ReadonlySet<string> = new Set(
  LEGAL_FORM_TABLE.flat().filter((s) => !s.includes(' ')),
)

/** Multi-word legal forms, matched as whole runs of words (longest first). */
export const LEGAL_PHRASES: readonly (readonly string[])[] = [
  ...new Set(LEGAL_FORM_TABLE.flat().filter((s) => s.includes(' '))),
]
  .map((s) => s.split(' '))
  .sort((a, b) => b.length - a.length)

/**
 * Legal-form words unlikely to be part of a person's name, stripped anywhere even when the type is
 * unknown: every form of four letters or more, and the unmistakable short ones. Other short forms
 * ("co", "sa", "ag") are stripped from an unknown type only at the end ("Co Tae Hun" keeps "co").
 */
export const UNAMBIGUOUS_LEGAL: ReadonlySet<string> = new Set([
  ...[...LEGAL_FORMS].filter((w) => w.length >= 4),
  ...[
    'llc',
    'ltd',
    'inc',
    'plc',
    'ooo',
    'oao',
    'zao',
    'pao',
    'jsc',
    'llp',
    'fze',
    'fzc',
    'srl',
    'spa',
    'bhd',
    'wll',
  ],
])

/** Words of multi-word forms and long single forms: the ones a misspelling is recognised for. */
const FUZZY_TARGETS: readonly string[] = [
  ...new Set(LEGAL_FORM_TABLE.flat().flatMap((s) => s.split(' '))),
].filter((w) => w.length >= 4)

const FUZZY_TARGETS_SET = new Set(FUZZY_TARGETS)

/** Slips tolerated between a word and a legal-form word: two when both are long, one from four letters. */
const phraseSlips = (form: string, word: string): number =>
  Math.min(form.length, word.length) >= 9 ? 2 : Math.min(form.length, word.length) >= 4 ? 1 : 0
// Alone, one slip from a short legal-form word is usually another real word ("good" / "godo",
// "core" / "corp", "point" / "joint", "into" / "intl"): part of a name. So a word is read as a form
// it slips from only if that form has six letters or more, or is a five-letter form of its own
// ("grup", "gnoup" for "group"); beside the rest of its phrase ("JIONT STOK COMPANY") any slip counts.
const strictSlips = (form: string, word: string): number =>
  form.length >= 6 || (form.length === 5 && LEGAL_FORMS.has(form)) ? phraseSlips(form, word) : 0

/**
 * The legal-form word `w` is (itself, or misspelt by at most one slip; two for long words), or
 * undefined. Alone, a slip from a short form is not read as the form (strictSlips).
 */
export function legalFormWord(w: string): string | undefined {
  return nearestForm(w, strictSlips, strictMemo)
}

function nearestForm(w: string, slips: (form: string, word: string) => number, memo: Map<string, string>) {
  if (LEGAL_FORMS.has(w) || FUZZY_TARGETS_SET.has(w)) return w
  if (w.length < 4) return undefined
  const known = memo.get(w)
  if (known !== undefined) return known || undefined
  if (memo.size > 100_000) memo.clear()
  let best: string | undefined
  let bestD = 3
  for (const t of FUZZY_TARGETS) {
    if (Math.abs(t.length - w.length) > 2 || (t[0] !== w[0] && t[1] !== w[1])) continue
    const d = editDistance(w, t)
    if (d <= slips(t, w) && d < bestD) {
      best = t
      bestD = d
    }
  }
  memo.set(w, best ?? '')
  return best
}
/** Index builds look up the same words many times ('' = not a legal form). */
const strictMemo = new Map<string, string>()
const phraseMemo = new Map<string, string>()

/** Consecutive words of the multi-word forms ("joint stock", "stock company"). */
const PHRASE_PAIRS: ReadonlySet<string> = new Set(
  LEGAL_PHRASES.flatMap((p) => p.slice(1).map((w, i) => `${p[i]!} ${w}`)),
)

/**
 * Words corrected to the legal-form word they slip from, so "LIMTED LIABILITY COMPNY" is read as the
 * form it is. A short word is corrected only where it then continues or starts a multi-word form
 * with its neighbour ("JIONT STOK COMPNAY"), repeated until nothing changes.
 */
export function correctLegalWords(words: readonly string[]): string[] {
  const out = words.map((w) => legalFormWord(w) ?? w)
  const pairs = (a: string | undefined, b: string | undefined) =>
    a !== undefined && b !== undefined && PHRASE_PAIRS.has(`${a} ${b}`)
  for (let changed = true; changed;) {
    changed = false
    for (let i = 0; i < out.length; i++) {
      const form = nearestForm(out[i]!, phraseSlips, phraseMemo)
      if (form === undefined || form === out[i]) continue
      if (pairs(out[i - 1], form) || pairs(form, out[i + 1])) {
        out[i] = form
        changed = true
      }
    }
  }
  return out
}
