import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { newId } from '../src/shared/ids.js'
import { csvObjects } from './screening/evaluate.js'
import { partOf, type Part } from './screening/split.js'
import { insertParties, openSearchBench } from './search-seed.js'

/**
 * `npm run bench -- search-names [--haystack N] [--database-url URL] [--show-misses N] [--heldout]`
 *
 * Party search on REAL names and the variants people really type, rather than bench/search.ts's
 * synthetic words with one typo. The tenant holds N people from yente's `negatives_global.csv`
 * (synthetic people of every script and origin, default 50,000) plus the intended records; each query
 * must find its record in the top 5 (and top 1):
 *
 * - `yente`: the 683 UN-listed people as listed (`positives_un_untreated.csv`), searched by their
 *   treated twins (same row: typos, reordering, "LAST, FIRST");
 * - `pairs`: nomenklatura's labelled matching name pairs (people, companies, vessels): name1 stored,
 *   name2 searched (spelling variants, transliterations, added or dropped words, abbreviations).
 *
 * Split: the screening evaluation split (bench/screening/split.ts, fixed before any tuning, ~30 %
 * tuning / 70 % held out, keyed as for screening). Search was tuned on neither part before this
 * bench existed; from now on only the tuning part may be looked at while changing search, and the
 * headline is the held-out part (`--heldout`; without it only the tuning part runs). Data from ../shared/data (MONETA_SHARED_DATA to override).
 */
interface Probe {
  readonly set: 'yente' | 'pairs'
  readonly part: Part
  readonly query: string
  readonly target: string
  readonly kind: string
}

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback
}

function dataDir(): string {
  const dir = process.env.MONETA_SHARED_DATA ?? resolve(process.cwd(), '../shared/data')
  if (!existsSync(join(dir, 'screening-eval'))) throw new Error(`no screening-eval under ${dir}`)
  return join(dir, 'screening-eval')
}

function probes(evalDir: string): Probe[] {
  const out: Probe[] = []
  const plain = csvObjects(join(evalDir, 'yente/positives_un_untreated.csv'))
  const treated = csvObjects(join(evalDir, 'yente/positives_un_treated.csv'))
  plain.forEach((row, i) => {
    const target = row.full_name ?? ''
    const query = treated[i]?.full_name ?? ''
    if (!target || !query) return
    out.push({
      set: 'yente',
      part: partOf('yente_positives', target),
      query,
      target,
      kind: query === target ? 'exact' : 'treated',
    })
  })
  for (const row of csvObjects(join(evalDir, 'nomenklatura/name-pairs.csv'))) {
    if (row.is_match !== 'true' || !row.name1 || !row.name2) continue
    out.push({
      set: 'pairs',
      part: partOf('nomenklatura_pairs', row.name2),
      query: row.name2,
      target: row.name1,
      kind: (row.schema ?? 'Thing').toLowerCase(),
    })
  }
  return out
}

type Tally = Record<string, { n: number; top1: number; top5: number }>

const bump = (t: Tally, key: string, top1: boolean, top5: boolean) => {
  const c = (t[key] ??= { n: 0, top1: 0, top5: 0 })
  c.n++
  if (top1) c.top1++
  if (top5) c.top5++
}

const pct = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 10)

export async function main(args: string[]): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`)
  const haystack = Number(flag(args, '--haystack', '50000'))
  const showMisses = Number(flag(args, '--show-misses', '0'))
  const databaseUrl = flag(args, '--database-url', process.env.DATABASE_URL ?? '')
  const evalDir = dataDir()
  // Held-out queries run only with --heldout: while search is being changed, only the tuning part.
  const all = probes(evalDir).filter((p) => args.includes('--heldout') || p.part === 'tuning')
  const others = csvObjects(join(evalDir, 'yente/negatives_global.csv'))
    .map((r) => r.full_name ?? '')
    .filter(Boolean)
    .slice(0, haystack)

  const { h, crypto, search } = await openSearchBench(databaseUrl)
  const tenant = newId('ten')
  // One party per distinct target name (pairs share reference names); the haystack after them.
  const targets = [...new Set(all.map((p) => p.target))]
  const ids = await insertParties(h.db, crypto.fieldCipher, tenant, [...targets, ...others])
  const idOf = new Map(targets.map((name, i) => [name, ids[i]!]))
  let t = performance.now()
  await search.reindex(tenant, { types: ['party'], pageSize: 5000 })
  log(`${ids.length} parties indexed in ${((performance.now() - t) / 1000).toFixed(1)} s (${h.engine})`)

  const tally: Tally = {}
  const misses: string[] = []
  const latencies: number[] = []
  const slowest: { q: string; ms: number }[] = []
  t = performance.now()
  for (const p of all) {
    const s = performance.now()
    const page = await search.search(tenant, { q: p.query, types: ['party'], limit: 5 })
    const took = performance.now() - s
    latencies.push(took)
    if (p.part === 'tuning') slowest.push({ q: p.query, ms: took })
    const want = idOf.get(p.target)
    const rank = page.hits.findIndex((x) => x.id === want)
    const top1 = rank === 0
    const top5 = rank >= 0
    bump(tally, `${p.part}`, top1, top5)
    bump(tally, `${p.part}/${p.set}`, top1, top5)
    bump(tally, `${p.part}/${p.set}/${p.kind}`, top1, top5)
    // Only the tuning part's misses are ever printed: they are what may be looked at.
    if (!top5 && p.part === 'tuning' && misses.length < showMisses)
      misses.push(
        `  "${p.query}" → "${p.target}" (got: ${page.hits.map((x) => x.title).join(' | ') || 'nothing'})`,
      )
  }
  latencies.sort((a, b) => a - b)
  for (const [k, v] of Object.entries(tally).sort())
    log(
      `${k.padEnd(32)} n=${String(v.n).padStart(4)}  top1 ${pct(v.top1, v.n)} %  top5 ${pct(v.top5, v.n)} %`,
    )
  if (misses.length) log(`tuning misses:\n${misses.join('\n')}`)
  slowest.sort((a, b) => b.ms - a.ms)
  log(
    `slowest tuning queries: ${slowest
      .slice(0, 8)
      .map((x) => `"${x.q}" ${x.ms.toFixed(0)} ms`)
      .join(', ')}`,
  )
  await h.close()
  const held = tally.heldout ?? { n: 0, top1: 0, top5: 0 }
  const tuning = tally.tuning ?? { n: 0, top1: 0, top5: 0 }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'search-names',
      engine: h.engine,
      parties: ids.length,
      queries: all.length,
      heldout_queries: held.n,
      heldout_recall_at_5: pct(held.top5, held.n),
      heldout_recall_at_1: pct(held.top1, held.n),
      heldout_yente_recall_at_5: pct(tally['heldout/yente']?.top5 ?? 0, tally['heldout/yente']?.n ?? 0),
      heldout_pairs_recall_at_5: pct(tally['heldout/pairs']?.top5 ?? 0, tally['heldout/pairs']?.n ?? 0),
      tuning_recall_at_5: pct(tuning.top5, tuning.n),
      p50_ms: Math.round((latencies[Math.floor(latencies.length * 0.5)] ?? 0) * 10) / 10,
      p99_ms: Math.round((latencies[Math.floor(latencies.length * 0.99)] ?? 0) * 10) / 10,
      query_seconds: Math.round((performance.now() - t) / 100) / 10,
    })}\n`,
  )
}
