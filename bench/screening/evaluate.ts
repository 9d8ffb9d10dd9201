/**
 * Scores every screening evaluation set against one index, tags each record with its part
 * (split.ts), and summarises: recall and false alerts per set and kind, the curve of false alerts
 * at recall R, and the threshold reaching a recall. Shared by `npm run bench -- screening` (which
 * reports the held-out part as the headline) and scripts/screening-param-search.ts (which only
 * ever looks at the tuning part).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  jaroWinkler,
  normalizeName,
  parseCsvRows,
  parseListSource,
  readListSource,
  type ParsedList,
  type ScreeningIndex,
  type SubjectType,
} from '../../src/modules/screening/index.js'
import { generateKinds, type KindCase } from './kinds.js'
import { partOf, type Part } from './split.js'

export function csvObjects(path: string): Record<string, string>[] {
  const rows = parseCsvRows(readFileSync(path, 'utf8'), path).filter(
    (r) => !(r.cells[0] ?? '').startsWith('#'),
  )
  const header = rows[0]?.cells ?? []
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.cells[i] ?? ''])))
}

/** Loads every list; the 2024 SDN primary file is combined with the newest aliases and addresses. */
export function loadLists(data: string): ParsedList[] {
  const s = join(data, 'sanctions')
  const sdnPrimary = readListSource(join(s, 'ofac/sdn-2024-05-03/sdn.csv'))
  const newest = readListSource(join(s, 'ofac/sdn-add-alt-2025-12-24'))
  const sdnFiles = new Map(sdnPrimary.files)
  for (const [k, v] of newest.files) if (k === 'alt.csv' || k === 'add.csv') sdnFiles.set(k, v)
  return [
    parseListSource({ name: 'ofac sdn 2024-05-03 + alt/add 2025-12-24', files: sdnFiles }, 'ofac-csv'),
    parseListSource(readListSource(join(s, 'ofac/consolidated-2025-12-19')), 'ofac-cons-csv'),
    parseListSource(readListSource(join(s, 'un/consolidated-2026-02-27.xml')), 'un-xml'),
    parseListSource(readListSource(join(s, 'us-csl/consolidated-2022-05.csv.gz')), 'csl-csv'),
  ]
}

/** One screened record: a positive's score is its best hit on the right entry (0 if none). */
export interface Scored {
  readonly set: string
  readonly part: Part
  readonly positive: boolean
  readonly score: number
  readonly label: string
  /** For negatives: the best hit's explanation, to read false alerts. */
  readonly summary?: string
  /** Positives, with ScoreOptions.baseline: plain Jaro-Winkler against the right entry's names. */
  readonly base?: number
}

export interface EvalInputs {
  readonly evalDir: string
  readonly untreated: Record<string, string>[]
  readonly treated: Record<string, string>[]
  readonly negatives: Record<string, string>[]
  readonly kinds: KindCase[]
}

export function loadEvalInputs(data: string, index: ScreeningIndex, negatives: number): EvalInputs {
  const evalDir = join(data, 'screening-eval')
  const allNeg = csvObjects(join(evalDir, 'yente/negatives_global.csv'))
  return {
    evalDir,
    untreated: csvObjects(join(evalDir, 'yente/positives_un_untreated.csv')),
    treated: csvObjects(join(evalDir, 'yente/positives_un_treated.csv')),
    negatives: allNeg.slice(0, negatives),
    kinds: generateKinds({ entries: index.entries, people: allNeg }),
  }
}

export const negativePart = (r: Record<string, string>): Part =>
  partOf('yente-negatives', `${r.full_name ?? ''}|${r.date_of_birth ?? ''}`)

type Query = { name: string; type: SubjectType; dob?: string; countries?: string[] }

const yenteQuery = (r: Record<string, string>): Query => ({
  name: r.full_name ?? '',
  type: 'person',
  ...(r.date_of_birth ? { dob: r.date_of_birth } : {}),
  countries: r.nationality ? [r.nationality] : [],
})

/** Best score among hits on one of the target entries (`listId:key`). */
function targetScore(index: ScreeningIndex, q: Query, targets: ReadonlySet<string>): number {
  let best = 0
  for (const h of index.screen(q, { threshold: 0.3, limit: 50 }))
    if (targets.has(`${h.listId}:${h.entryKey}`) && h.score > best) best = h.score
  return best
}

export interface ScoreOptions {
  /** Which parts to score (the parameter search passes only 'tuning'). */
  readonly parts: readonly Part[]
  /** Called after each negative with its wall-clock and on-CPU milliseconds. */
  readonly onNegative?: (wallMs: number, cpuMs: number) => void
  /** Also score positives with the plain Jaro-Winkler baseline. */
  readonly baseline?: boolean
}

export function scoreAll(index: ScreeningIndex, inp: EvalInputs, opts: ScoreOptions): Scored[] {
  const out: Scored[] = []
  const want = new Set(opts.parts)
  const byKey = new Map(index.entries.map((e) => [`${e.listId}:${e.key}`, e]))
  const base = (name: string, targets: ReadonlySet<string>): { base?: number } => {
    if (!opts.baseline) return {}
    const qn = normalizeName(name).text
    let best = 0
    for (const t of targets)
      for (const n of byKey.get(t)?.names ?? [])
        best = Math.max(best, jaroWinkler(qn, normalizeName(n.name).text))
    return { base: best }
  }
  // UN positives: the target is every UN entry carrying the untreated name.
  const unByName = new Map<string, Set<string>>()
  for (const e of index.entries) {
    if (e.listId !== 'un') continue
    for (const n of e.names) {
      const k = normalizeName(n.name, e.type).text
      const s = unByName.get(k) ?? new Set<string>()
      s.add(`un:${e.key}`)
      unByName.set(k, s)
    }
  }
  for (let i = 0; i < inp.untreated.length; i++) {
    const u = inp.untreated[i]!
    const t = inp.treated[i]!
    const part = partOf('yente-positives', u.full_name ?? '')
    if (!want.has(part)) continue
    const targets = unByName.get(normalizeName(u.full_name ?? '', 'person').text)
    if (!targets) continue
    out.push({
      set: 'yente-untreated',
      part,
      positive: true,
      score: targetScore(index, yenteQuery(u), targets),
      label: u.full_name ?? '',
      ...base(u.full_name ?? '', targets),
    })
    out.push({
      set: 'yente-treated',
      part,
      positive: true,
      score: targetScore(index, yenteQuery(t), targets),
      label: `${t.full_name} for ${u.full_name}`,
      ...base(t.full_name ?? '', targets),
    })
  }
  for (const k of inp.kinds) {
    if (!want.has(k.part)) continue
    if (k.target) {
      const targets = new Set([k.target])
      const score = targetScore(index, k.query, targets)
      out.push({
        set: k.kind,
        part: k.part,
        positive: true,
        score,
        label: `${k.query.name} (${k.note})`,
        ...base(k.query.name, targets),
      })
    } else {
      const h = index.screen(k.query, { threshold: 0.3, limit: 1 })[0]
      out.push({
        set: k.kind,
        part: k.part,
        positive: false,
        score: h?.score ?? 0,
        label: `${k.query.name} (${k.note})`,
        ...(h ? { summary: h.explanation.summary } : {}),
      })
    }
  }
  for (const r of inp.negatives) {
    const part = negativePart(r)
    if (!want.has(part)) continue
    const c = process.cpuUsage()
    const t = performance.now()
    const h = index.screen(yenteQuery(r), { threshold: 0.3, limit: 1 })[0]
    opts.onNegative?.(performance.now() - t, process.cpuUsage(c).user / 1000)
    out.push({
      set: 'yente-negatives',
      part,
      positive: false,
      score: h?.score ?? 0,
      label: r.full_name ?? '',
      ...(h ? { summary: h.explanation.summary } : {}),
    })
  }
  return out
}

/** Positive sets pooled for the headline recall (the untreated set is reported, not pooled: it is exact names). */
export const HEADLINE_POSITIVES = [
  'yente-treated',
  'legal-form',
  'entity-typo',
  'first-given-only',
  'given-name-variant',
]

export const rate = (scores: readonly number[], t: number): number =>
  scores.length === 0 ? 0 : scores.filter((s) => s >= t).length / scores.length

/** Highest threshold keeping recall ≥ target. */
export function thresholdForRecall(scores: readonly number[], target: number): number {
  const s = [...scores].sort((a, b) => b - a)
  return s[Math.max(0, Math.ceil(target * s.length) - 1)] ?? 0
}

export const scoresOf = (scored: readonly Scored[], part: Part, sets: readonly string[]): number[] =>
  scored.filter((x) => x.part === part && sets.includes(x.set)).map((x) => x.score)

export const RECALL_POINTS = [0.9, 0.95, 0.97, 0.98, 0.99]

/** False alerts on the yente negatives at the threshold reaching each recall of the pooled positives. */
export function curve(
  scored: readonly Scored[],
  part: Part,
): { recall: number; threshold: number; far: number }[] {
  const pos = scoresOf(scored, part, HEADLINE_POSITIVES)
  const neg = scoresOf(scored, part, ['yente-negatives'])
  return RECALL_POINTS.map((recall) => {
    const threshold = thresholdForRecall(pos, recall)
    return { recall, threshold, far: rate(neg, threshold) }
  })
}

/**
 * The plain Jaro-Winkler baseline over whole normalised names: for each negative, the best score
 * against every listed name, computed exactly but pruned by an upper bound (Jaro ≤ (m/|a| + m/|b|
 * + 1)/3, m at most the letters both names share; Jaro-Winkler ≤ 0.6 Jaro + 0.4), so names that
 * cannot beat `floor` or the best so far are skipped.
 */
export function baselineNegatives(index: ScreeningIndex, names: readonly string[], floor: number): number[] {
  const all: string[] = []
  const seen = new Set<string>()
  for (const e of index.entries)
    for (const n of e.names) {
      const k = normalizeName(n.name).text
      if (!seen.has(k)) {
        seen.add(k)
        all.push(k)
      }
    }
  const bag = (s: string, b: Uint8Array): Uint8Array => {
    b.fill(0)
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      b[c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? c - 22 : 36]!++
    }
    return b
  }
  const bags = all.map((s) => bag(s, new Uint8Array(37)))
  const qb = new Uint8Array(37)
  return names.map((name) => {
    const qn = normalizeName(name).text
    if (qn.length === 0) return 0
    bag(qn, qb)
    let best = 0
    for (let j = 0; j < all.length; j++) {
      const s = all[j]!
      const b = bags[j]!
      let m = 0
      for (let k = 0; k < 37; k++) m += Math.min(qb[k]!, b[k]!)
      const bound = 0.6 * ((m / qn.length + m / s.length + 1) / 3) + 0.4
      if (bound < Math.max(floor, best)) continue
      const v = jaroWinkler(qn, s)
      if (v > best) best = v
    }
    return best
  })
}
