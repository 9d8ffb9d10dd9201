import type { Finding, ScanResult } from '../../src/modules/secrets/index.js'
import { KIND_NAMES, plant, WHOLE_FILE_KINDS, wholeFile, type Plant } from './kinds.js'
import { lookalikeFiles } from './lookalikes.js'
import { rng } from './random.js'
import { FORMATS } from './templates.js'

/**
 * The planted-secret corpus, generated from a seed at test time. Two splits with disjoint formats
 * and seeds: `dev` (yaml, .env, Python, TypeScript, logs) was used while writing the rules;
 * `holdout` (JSON, notebooks, diffs, base64 Kubernetes secrets, shell, TOML) and its seed were not,
 * and the figures in docs/secrets.md and the benchmark are measured on it.
 */
export type Split = 'dev' | 'holdout'
export const SEEDS: Record<Split, number> = { dev: 11, holdout: 20_2611 }

export interface PlantedSecret {
  readonly path: string
  readonly line: number
  readonly ruleId: string
  readonly accept: readonly string[]
  readonly kind: string
  readonly format: string
}

export interface Corpus {
  readonly files: readonly { path: string; content: string }[]
  readonly planted: readonly PlantedSecret[]
  /** Paths of the look-alike files, and how many lines they hold. */
  readonly lookalikePaths: ReadonlySet<string>
  readonly lookalikeLines: number
}

export function generateCorpus(opts: {
  split: Split
  files?: number
  lookalikeLines?: number
  seed?: number
}): Corpus {
  const r = rng(opts.seed ?? SEEDS[opts.split])
  const formats = FORMATS.filter((f) => f.split === opts.split)
  const files: { path: string; content: string }[] = []
  const planted: PlantedSecret[] = []
  const nFiles = opts.files ?? 300
  for (let i = 0; i < nFiles; i++) {
    const format = formats[i % formats.length]!
    const plants: Plant[] = []
    const count = r.int(1, 4)
    while (plants.length < count) {
      const p = plant(KIND_NAMES[r.int(0, KIND_NAMES.length)]!, r)
      if (p.formats && !p.formats.includes(format.name)) continue
      // Two plants of one vendor in a file would share a section; keep one per section.
      if (plants.some((q) => q.section === p.section && p.section !== undefined)) continue
      plants.push(p)
    }
    const out = format.render(plants, r)
    const path = `${i}/${out.path}` // unique even when two draws name the same file
    files.push({ path, content: out.content })
    for (const { field, line } of out.planted) {
      const kind = plants.find((p) => p.fields.includes(field))!.kind
      planted.push({
        path,
        line,
        ruleId: field.ruleId!,
        accept: [field.ruleId!, ...(field.accept ?? [])],
        kind,
        format: format.name,
      })
    }
  }
  for (let i = 0; i < Math.max(3, Math.round(nFiles / 20)); i++) {
    const w = wholeFile(WHOLE_FILE_KINDS[i % WHOLE_FILE_KINDS.length]!, r)
    const path = `whole/${i}/${w.path}`
    files.push({ path, content: w.content })
    planted.push({ path, line: w.line, ruleId: w.ruleId, accept: [w.ruleId], kind: w.kind, format: 'file' })
  }
  const looks = lookalikeFiles(r, opts.lookalikeLines ?? 20_000).map((f, i) => ({
    path: `looks/${i}/${f.path}`,
    content: f.content,
  }))
  const lookalikeLines = looks.reduce((n, f) => n + f.content.split('\n').length - 1, 0)
  return {
    files: [...files, ...looks],
    planted,
    lookalikePaths: new Set(looks.map((f) => f.path)),
    lookalikeLines,
  }
}

export interface Evaluation {
  readonly planted: number
  readonly found: number
  readonly recall: number
  readonly missed: readonly PlantedSecret[]
  /** Findings matching no planted secret (in look-alike files or next to planted ones). */
  readonly falsePositives: readonly Finding[]
  readonly falsePositivesInLookalikes: number
  readonly falsePositivesPer10kLines: number
}

/** A planted secret counts as found when a finding of an accepted rule sits on its line. */
export function evaluate(corpus: Corpus, result: ScanResult): Evaluation {
  const byPlace = new Map<string, Finding[]>()
  for (const f of result.findings) {
    const k = `${f.path}:${f.line}`
    byPlace.set(k, [...(byPlace.get(k) ?? []), f])
  }
  const used = new Set<Finding>()
  const missed: PlantedSecret[] = []
  for (const p of corpus.planted) {
    const hit = (byPlace.get(`${p.path}:${p.line}`) ?? []).find(
      (f) => p.accept.includes(f.ruleId) && !used.has(f),
    )
    if (hit) used.add(hit)
    else missed.push(p)
  }
  const falsePositives = result.findings.filter((f) => !used.has(f))
  const inLooks = falsePositives.filter((f) => corpus.lookalikePaths.has(f.path)).length
  const found = corpus.planted.length - missed.length
  return {
    planted: corpus.planted.length,
    found,
    recall: corpus.planted.length === 0 ? 1 : found / corpus.planted.length,
    missed,
    falsePositives,
    falsePositivesInLookalikes: inLooks,
    falsePositivesPer10kLines: (falsePositives.length / corpus.lookalikeLines) * 10_000,
  }
}
