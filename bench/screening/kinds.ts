/**
 * Synthetic evaluation sets, one per kind of miss or false alert that held-out data revealed
 * (issue 15, "Honest figures"). Each is generated deterministically from the loaded lists (and, for
 * everyday names and dates, from the yente negatives' name parts), never from the evaluation rows'
 * matches, and each record carries the key that assigns it to the tuning or held-out part
 * (split.ts). The tables here (legal-form spellings, given-name families, CJK syllables) belong to
 * the generator only: the matcher has its own rules and never reads them, so a held-out family the
 * matcher handles is handled by a rule, not by a copy of the test.
 *
 * Positive kinds (the query is the listed party, written differently; a hit on that entry counts):
 * - legal-form: an organisation with its legal form spelt another way (LIMITED↔LTD, CO↔COMPANY,
 *   JSC↔JOINT STOCK COMPANY…), misspelt (one edit), or added where the list has none;
 * - entity-typo: one typing slip (insertion, deletion, substitution, swap) in a word of an
 *   organisation's name;
 * - first-given-only: a person listed as "SURNAME, Given1 Given2…" searched as "Given1 Surname";
 * - given-name-variant: a listed given name replaced by another transliteration of the same name
 *   (Mohammed/Muhammad, Yusuf/Youssef, Sergei/Serhiy…).
 * Negative kinds (synthetic people who are not the listed party; any alert is a false alert):
 * - contained-two-word: two everyday name words (both occur as given or family names in the yente
 *   population) that appear in order inside a longer listed person's name, the listed family name
 *   not among them (first given name + family name is the first-given-only positive);
 * - cjk-short: two- or three-character Chinese or Korean names written in Han or Hangul.
 */
import type { ListEntry, SubjectType } from '../../src/modules/screening/index.js'
import { fnv1a32, partOf, type Part } from './split.js'

export type KindName =
  | 'legal-form'
  | 'entity-typo'
  | 'first-given-only'
  | 'given-name-variant'
  | 'contained-two-word'
  | 'cjk-short'

export const POSITIVE_KINDS: readonly KindName[] = [
  'legal-form',
  'entity-typo',
  'first-given-only',
  'given-name-variant',
]
export const NEGATIVE_KINDS: readonly KindName[] = ['contained-two-word', 'cjk-short']

export interface KindCase {
  readonly kind: KindName
  readonly part: Part
  readonly query: { name: string; type: SubjectType; dob?: string; countries?: string[] }
  /** `listId:key` of the entry a positive must hit; absent for negatives. */
  readonly target?: string
  /** What was done, for listing misses. */
  readonly note: string
}

export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pickOf = <T>(r: () => number, a: readonly T[]): T => a[Math.floor(r() * a.length)]!

/** One random typing slip in a word (letters only): insertion, deletion, substitution or swap. */
export function typo(word: string, r: () => number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const upper = word === word.toUpperCase()
  const w = word.toLowerCase()
  const i = 1 + Math.floor(r() * (w.length - 1))
  const c = letters[Math.floor(r() * 26)]!
  let out: string
  switch (Math.floor(r() * 4)) {
    case 0:
      out = w.slice(0, i) + c + w.slice(i)
      break
    case 1:
      out = w.slice(0, i) + w.slice(i + 1)
      break
    case 2:
      out = w.slice(0, i) + (w[i] === c ? 'x' : c) + w.slice(i + 1)
      break
    default:
      out =
        i + 1 < w.length
          ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2)
          : w.slice(0, i - 1) + w[i] + w[i - 1]
  }
  return upper ? out.toUpperCase() : out
}

/** Spellings of one legal form (the generator's own table). */
const LEGAL_FORM_SPELLINGS: readonly (readonly string[])[] = [
  ['LIMITED', 'LTD', 'LTD.'],
  ['COMPANY', 'CO', 'CO.'],
  ['CORPORATION', 'CORP', 'CORP.'],
  ['INCORPORATED', 'INC', 'INC.'],
  ['JOINT STOCK COMPANY', 'JSC', 'J.S.C.'],
  ['LIMITED LIABILITY COMPANY', 'LLC', 'L.L.C.'],
  ['PUBLIC JOINT STOCK COMPANY', 'PJSC'],
  ['CLOSED JOINT STOCK COMPANY', 'CJSC'],
  ['OPEN JOINT STOCK COMPANY', 'OJSC'],
  ['COMPANY LIMITED', 'CO LTD', 'CO., LTD.', 'COMPANY LTD'],
  ['SOCIEDAD ANONIMA', 'S.A.', 'SA'],
  ['GESELLSCHAFT MIT BESCHRANKTER HAFTUNG', 'GMBH'],
  ['PRIVATE LIMITED', 'PVT LTD', 'PVT. LTD.'],
  ['ESTABLISHMENT', 'EST', 'EST.'],
  ['TRADING COMPANY', 'TRADING CO'],
]
const ADDED_FORMS = ['LTD', 'LLC', 'CO., LTD.', 'LIMITED', 'INC', 'COMPANY', 'CORP', 'S.A.', 'GMBH', 'JSC']

const words = (s: string): string[] => s.split(/[\s,]+/).filter(Boolean)
const bare = (w: string): string => w.replace(/[.,]/g, '').toUpperCase()

/** Finds a listed legal-form spelling in the name: [start word, length, family index]. */
function findForm(ws: readonly string[]): [number, number, number] | undefined {
  const b = ws.map(bare)
  let best: [number, number, number] | undefined
  LEGAL_FORM_SPELLINGS.forEach((fam, f) => {
    for (const sp of fam) {
      const sw = words(sp).map(bare)
      for (let i = 0; i + sw.length <= b.length; i++) {
        if (sw.every((x, k) => b[i + k] === x) && (!best || sw.length > best[1])) best = [i, sw.length, f]
      }
    }
  })
  return best
}

function legalForm(e: ListEntry, r: () => number): { name: string; note: string } | undefined {
  const name = e.names[0]!.name
  const ws = words(name)
  if (ws.length < 2) return undefined
  const found = findForm(ws)
  if (!found) {
    if (r() < 0.7) return undefined
    const f = pickOf(r, ADDED_FORMS)
    return { name: `${name} ${f}`, note: `added ${f}` }
  }
  const [i, len, fam] = found
  const current = ws
    .slice(i, i + len)
    .map(bare)
    .join(' ')
  const spellings = LEGAL_FORM_SPELLINGS[fam]!.filter((s) => words(s).map(bare).join(' ') !== current)
  const longWords = ws.slice(i, i + len).filter((w) => bare(w).length >= 5)
  let repl: string
  let note: string
  if (longWords.length > 0 && r() < 0.5) {
    // A slip in the legal-form word itself ("LIMTED", "COMPNAY").
    const k = ws.slice(i, i + len).findIndex((w) => bare(w).length >= 5)
    const parts = ws.slice(i, i + len)
    parts[k] = typo(bare(parts[k]!), r)
    repl = parts.join(' ')
    note = `misspelt legal form ${current} → ${repl}`
  } else if (spellings.length > 0) {
    repl = pickOf(r, spellings)
    note = `legal form ${current} → ${repl}`
  } else return undefined
  return { name: [...ws.slice(0, i), repl, ...ws.slice(i + len)].join(' '), note }
}

function entityTypo(e: ListEntry, r: () => number): { name: string; note: string } | undefined {
  const ws = words(e.names[0]!.name)
  const found = findForm(ws)
  const candidates = ws
    .map((w, i) => i)
    .filter((i) => bare(ws[i]!).length >= 4 && /^[A-Za-z]+$/.test(bare(ws[i]!)))
    .filter((i) => !found || i < found[0] || i >= found[0] + found[1])
  if (ws.length < 2 || candidates.length === 0) return undefined
  const i = pickOf(r, candidates)
  const out = [...ws]
  out[i] = typo(bare(ws[i]!), r)
  return { name: out.join(' '), note: `${ws[i]} → ${out[i]}` }
}

function firstGivenOnly(e: ListEntry): { name: string; note: string } | undefined {
  const name = e.names[0]!.name
  const commas = name.split(',')
  if (commas.length !== 2) return undefined
  const surname = commas[0]!.trim()
  const given = words(commas[1]!)
  if (given.length < 2 || !/^[A-Za-z-]+$/.test(given[0]!) || given[0]!.length < 2) return undefined
  return { name: `${given[0]} ${surname}`, note: `given names ${given.join(' ')} → ${given[0]}` }
}

/**
 * Transliteration families of given names (Arabic, Persian, Turkic, Slavic), the generator's
 * table: each family is split whole into tuning or held-out, so the held-out families test whether
 * the matcher's rule generalises to families it was not tuned on.
 */
export const GIVEN_NAME_FAMILIES: readonly (readonly string[])[] = [
  ['muhammad', 'mohammed', 'mohammad', 'mohamed', 'muhammed', 'mohamad', 'muhamad'],
  ['ahmad', 'ahmed', 'ahmet'],
  ['yusuf', 'youssef', 'yousef', 'yusef', 'yousuf', 'youssouf'],
  ['husayn', 'hussein', 'hussain', 'husain', 'hossein', 'husein'],
  ['hasan', 'hassan', 'hasaan'],
  ['umar', 'omar', 'omer'],
  ['uthman', 'othman', 'osman', 'usman'],
  ['said', 'saeed', 'saied'],
  ['khalid', 'khaled', 'khaleed'],
  ['mahmud', 'mahmoud', 'mahmood'],
  ['mustafa', 'mostafa', 'moustafa', 'mustapha'],
  ['ibrahim', 'ebrahim', 'ibraheem'],
  ['ismail', 'ismael', 'esmail', 'ismayil'],
  ['yahya', 'yehia', 'yahia', 'yehya'],
  ['abdullah', 'abdallah', 'abdulla', 'abdollah'],
  ['sulayman', 'suleiman', 'sulaiman', 'suleyman', 'soliman'],
  ['jamal', 'gamal', 'djamal'],
  ['usama', 'osama', 'oussama'],
  ['yasin', 'yassin', 'yassine', 'yaseen'],
  ['karim', 'kareem'],
  ['nasir', 'nasser', 'naser', 'nassir'],
  ['tariq', 'tarek', 'tareq', 'tarik'],
  ['rashid', 'rachid', 'rasheed'],
  ['hamid', 'hameed', 'hamed'],
  ['majid', 'maged', 'majeed', 'majed'],
  ['salim', 'salem', 'saleem'],
  ['faisal', 'faysal', 'feisal'],
  ['walid', 'waleed', 'oualid'],
  ['yaqub', 'yakub', 'yacoub', 'yaqoob'],
  ['musa', 'moussa', 'mousa'],
  ['jafar', 'jaafar', 'djafar'],
  ['qasim', 'kasim', 'qassem', 'qasem'],
  ['bashir', 'basheer', 'bachir'],
  ['abbas', 'abas'],
  ['mansur', 'mansour', 'mansoor'],
  ['nur', 'noor', 'nour'],
  ['aleksandr', 'alexander', 'oleksandr', 'aleksander'],
  ['sergei', 'sergey', 'serhiy', 'serguei'],
  ['yuri', 'yury', 'yuriy', 'iouri'],
  ['dmitri', 'dmitry', 'dmytro', 'dmitriy'],
  ['nikolai', 'nikolay', 'mykola'],
  ['andrei', 'andrey', 'andriy'],
  ['aleksei', 'alexey', 'oleksiy', 'alexei'],
  ['vyacheslav', 'viacheslav'],
  ['evgeny', 'yevgeniy', 'evgeni', 'yevgeny'],
  ['mikhail', 'michail', 'mykhailo'],
  ['vladimir', 'volodymyr'],
  ['grigori', 'grigory', 'hryhoriy'],
]

function givenVariant(
  e: ListEntry,
  r: () => number,
): { name: string; note: string; family: string } | undefined {
  const ws = words(e.names[0]!.name.replace(/,/g, ' , '))
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!.toLowerCase()
    const fam = GIVEN_NAME_FAMILIES.find((f) => f.includes(w))
    if (!fam) continue
    const other = pickOf(
      r,
      fam.filter((x) => x !== w),
    )
    const out = [...ws]
    out[i] = ws[i] === ws[i]!.toUpperCase() ? other.toUpperCase() : other[0]!.toUpperCase() + other.slice(1)
    return { name: out.join(' ').replace(/ , /g, ', '), note: `${ws[i]} → ${out[i]}`, family: fam[0]! }
  }
  return undefined
}

const HAN_SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾']
const HAN_GIVEN = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞辉建国文斌宇浩凯健俊波宁海峰林',
]
const HANGUL_SURNAMES = [...'김이박최정강조윤장임한오서신권황안송류홍']
const HANGUL_GIVEN = [...'민서지현수영준성철호진은혜경미정우재동혁광일남명국학용선희옥순']

export interface KindInputs {
  readonly entries: readonly ListEntry[]
  /** yente negatives (first_name, last_name, date_of_birth, nationality). */
  readonly people: readonly Record<string, string>[]
  /** At most this many cases per kind. */
  readonly perKind?: number
}

export function generateKinds(inp: KindInputs): KindCase[] {
  const perKind = inp.perKind ?? 800
  const out: KindCase[] = []
  const counts = new Map<KindName, number>()
  const add = (c: KindCase): void => {
    const n = counts.get(c.kind) ?? 0
    if (n >= perKind) return
    counts.set(c.kind, n + 1)
    out.push(c)
  }
  const seeded = (e: ListEntry, kind: string): (() => number) => rng(fnv1a32(`${kind}|${e.listId}:${e.key}`))
  const attrs = (e: ListEntry, r: () => number): { dob?: string; countries?: string[] } => {
    const dob = e.dobs[0] && /^\d{4}(-\d\d(-\d\d)?)?$/.test(e.dobs[0]) && r() < 0.5 ? e.dobs[0] : undefined
    const country = e.countries[0] && r() < 0.5 ? [e.countries[0]] : undefined
    return { ...(dob ? { dob } : {}), ...(country ? { countries: country } : {}) }
  }
  // Entries in a fixed order scrambled by their key's hash (not the lists' order, which clusters).
  const ordered = [...inp.entries].sort(
    (a, b) => fnv1a32(`${a.listId}:${a.key}`) - fnv1a32(`${b.listId}:${b.key}`),
  )
  for (const e of ordered) {
    if (!e.names[0]) continue
    const target = `${e.listId}:${e.key}`
    if (e.type === 'entity') {
      let r = seeded(e, 'legal-form')
      const lf = legalForm(e, r)
      if (lf)
        add({
          kind: 'legal-form',
          part: partOf('kind-legal-form', target),
          query: { name: lf.name, type: r() < 0.5 ? 'entity' : 'unknown' },
          target,
          note: lf.note,
        })
      r = seeded(e, 'entity-typo')
      const ty = entityTypo(e, r)
      if (ty)
        add({
          kind: 'entity-typo',
          part: partOf('kind-entity-typo', target),
          query: { name: ty.name, type: r() < 0.5 ? 'entity' : 'unknown' },
          target,
          note: ty.note,
        })
    } else if (e.type === 'person') {
      let r = seeded(e, 'first-given-only')
      const fg = firstGivenOnly(e)
      if (fg)
        add({
          kind: 'first-given-only',
          part: partOf('kind-first-given-only', target),
          query: { name: fg.name, type: 'person', ...attrs(e, r) },
          target,
          note: fg.note,
        })
      r = seeded(e, 'given-name-variant')
      const gv = givenVariant(e, r)
      if (gv)
        add({
          kind: 'given-name-variant',
          // Whole families go to one part: held-out families were never looked at while tuning.
          part: partOf('kind-given-name-family', gv.family),
          query: { name: gv.name, type: 'person', ...attrs(e, r) },
          target,
          note: gv.note,
        })
    }
  }
  containedTwoWord(inp, ordered, add)
  cjkShort(inp, add)
  return out
}

function containedTwoWord(inp: KindInputs, ordered: readonly ListEntry[], add: (c: KindCase) => void): void {
  // Two words that are themselves a listed name (an alias "IBRAHIM, Mohammed") are a true name
  // match, not a name contained in a longer one: such pairs are left out.
  const listed = new Set<string>()
  for (const e of inp.entries)
    for (const n of e.names) {
      const ws = words(n.name.replace(/,/g, ' ').toLowerCase())
      if (ws.length === 2) listed.add([...ws].sort().join(' '))
    }
  const everyday = new Set<string>()
  for (const p of inp.people) {
    for (const k of ['first_name', 'last_name']) {
      const v = (p[k] ?? '').toLowerCase()
      if (/^[a-z]{3,}$/.test(v)) everyday.add(v)
    }
  }
  for (const e of ordered) {
    if (e.type !== 'person') continue
    // The listed family name (before the comma, else the last word) is left out of the pair: a
    // first given name with the family name is the person searched with fewer given names (the
    // first-given-only kind), not an everyday name that happens to sit inside a longer one.
    const full = e.names[0]!.name
    const comma = full.indexOf(',')
    const family = new Set(
      words(comma > 0 ? full.slice(0, comma) : (words(full).at(-1) ?? '')).map((w) => w.toLowerCase()),
    )
    const ws = words(full.replace(/,/g, ' ')).map((w) => w.toLowerCase())
    if (ws.length < 3) continue
    const r = rng(fnv1a32(`contained|${e.listId}:${e.key}`))
    const pairs: [string, string][] = []
    for (let i = 0; i + 1 < ws.length; i++)
      for (let j = i + 1; j < ws.length; j++)
        if (!family.has(ws[i]!) && !family.has(ws[j]!))
          if (
            everyday.has(ws[i]!) &&
            everyday.has(ws[j]!) &&
            ws[i] !== ws[j] &&
            !listed.has([ws[i]!, ws[j]!].sort().join(' '))
          )
            pairs.push([ws[i]!, ws[j]!])
    if (pairs.length === 0) continue
    const [a, b] = pickOf(r, pairs)
    const person = pickOf(r, inp.people)
    const cap = (w: string): string => w[0]!.toUpperCase() + w.slice(1)
    add({
      kind: 'contained-two-word',
      part: partOf('kind-contained-two-word', `${e.listId}:${e.key}`),
      query: {
        name: `${cap(a)} ${cap(b)}`,
        type: 'person',
        ...(r() < 0.5 && person.date_of_birth ? { dob: person.date_of_birth } : {}),
        ...(r() < 0.5 && person.nationality ? { countries: [person.nationality] } : {}),
      },
      note: `inside ${e.names[0]!.name}`,
    })
  }
}

function cjkShort(inp: KindInputs, add: (c: KindCase) => void): void {
  const r = rng(fnv1a32('cjk-short'))
  const seen = new Set<string>()
  for (let k = 0; k < 4000; k++) {
    const korean = r() < 0.5
    const [sur, given] = korean ? [HANGUL_SURNAMES, HANGUL_GIVEN] : [HAN_SURNAMES, HAN_GIVEN]
    const len = korean ? (r() < 0.85 ? 2 : 1) : r() < 0.5 ? 1 : 2
    let name = pickOf(r, sur)
    for (let i = 0; i < len; i++) name += pickOf(r, given)
    if (seen.has(name)) continue
    seen.add(name)
    const person = pickOf(r, inp.people)
    const dob = r() < 0.5 ? person.date_of_birth : undefined
    const country = r() < 0.5 ? (korean ? pickOf(r, ['KR', 'KP']) : 'CN') : undefined
    add({
      kind: 'cjk-short',
      part: partOf('kind-cjk-short', name),
      query: {
        name,
        type: 'person',
        ...(dob ? { dob } : {}),
        ...(country ? { countries: [country] } : {}),
      },
      note: korean ? 'Hangul' : 'Han',
    })
  }
}
