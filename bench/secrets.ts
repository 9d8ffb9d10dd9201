/**
 * `npm run bench -- secrets [--files N] [--lookalike-lines N] [--tree PATH | --no-tree] [--split holdout|dev] [--seed N]`
 *
 * 1. Quality on the generated corpus (test/secrets-corpus): recall of planted secrets and false
 *    positives per 10,000 lines of look-alikes, on the held-out split unless told otherwise.
 * 2. Speed on a large real tree (the project's own node_modules by default, walked without
 *    .gitignore): files, MB/s, and every finding printed with its rule, reason and evidence.
 * Ends with one JSON line.
 */
import { resolve } from 'node:path'
import { formatText, scanFiles, scanPath } from '../src/modules/secrets/index.js'
import { evaluate, generateCorpus, type Split } from '../test/secrets-corpus/corpus.js'

const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const num = (args: string[], name: string, fallback: number): number => Number(arg(args, name) ?? fallback)
const log = (s: string): boolean => process.stderr.write(`${s}\n`)

export async function main(args: string[]): Promise<void> {
  const split = (arg(args, 'split') ?? 'holdout') as Split
  const files = num(args, 'files', 600)
  const lookalikeLines = num(args, 'lookalike-lines', 100_000)
  const tree = args.includes('--no-tree') ? undefined : resolve(arg(args, 'tree') ?? 'node_modules')

  log(`corpus: ${split} split, ${files} files of planted secrets, ${lookalikeLines} lines of look-alikes`)
  const seed = arg(args, 'seed')
  const corpus = generateCorpus({ split, files, lookalikeLines, ...(seed ? { seed: Number(seed) } : {}) })
  const corpusScan = scanFiles(corpus.files)
  const e = evaluate(corpus, corpusScan)
  log(
    `  recall ${(e.recall * 100).toFixed(2)} % (${e.found}/${e.planted}); false positives ${e.falsePositives.length} over ${corpus.lookalikeLines} look-alike lines`,
  )
  for (const m of e.missed) log(`  missed ${m.kind} in ${m.format}: ${m.path}:${m.line}`)
  for (const f of e.falsePositives) log(`  false positive ${f.ruleId} ${f.path}:${f.line} — ${f.evidence}`)

  let treeFigures: Record<string, number> = {}
  if (tree) {
    log(`tree: ${tree} (every file, .gitignore not applied)`)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const res = await scanPath(tree, { gitignore: false })
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    // Every finding explained: rule, what it grants, what matched.
    if (res.findings.length > 0) log(formatText(res).trimEnd())
    log(
      `  ${res.stats.files} files, ${(res.stats.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s wall (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU), ${res.findings.length} findings`,
    )
    treeFigures = {
      files: res.stats.files,
      mb: Math.round(res.stats.bytes / 1e5) / 10,
      seconds: Math.round(seconds * 10) / 10,
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
      mb_per_s: Math.round((res.stats.bytes / 1e6 / seconds) * 10) / 10,
      tree_findings: res.findings.length,
    }
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'secrets',
      split,
      ...(seed ? { seed: Number(seed) } : {}),
      recall: Math.round(e.recall * 10_000) / 10_000,
      false_positives_per_10k_lines: Math.round(e.falsePositivesPer10kLines * 100) / 100,
      planted: e.planted,
      lookalike_lines: corpus.lookalikeLines,
      ...treeFigures,
    })}\n`,
  )
}
