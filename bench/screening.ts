/**
 * `npm run bench -- screening [--data DIR] [--negatives N] [--baseline-negatives N] [--customers N]`
 *
 * Evaluates the sanctions matcher on ../shared/data: recall on the UN positives (untreated and
 * treated), false alerts on the 50,000 synthetic negatives at the threshold that gives ≥ 98 %
 * treated recall, a plain Jaro-Winkler baseline at equal recall, F1 on the nomenklatura name
 * pairs against logic-v2, parity with OFAC's own search tool, per-name latency against every list
 * loaded, and a rescreen of 1,000,000 synthetic customers against a 100-entry list update.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  baselineScore,
  DEFAULT_THRESHOLD,
  normalizeName,
  parseListSource,
  readListSource,
  scoreNames,
  ScreeningIndex,
  parseCsvRows,
  type ListEntry,
  type ParsedList,
  type SubjectType,
} from '../src/modules/screening/index.js'
import { jaroWinkler } from '../src/modules/screening/index.js'

interface Args {
  data: string
  negatives: number
  baselineNegatives: number
  customers: number
  /** PostgreSQL URL: also time the rescreen end to end through the service (subjects paged from the database). */
  db: string | undefined
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    data: resolve('../shared/data'),
    negatives: 50_000,
    baselineNegatives: 5_000,
    customers: 1_000_000,
    db: undefined,
  }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]
    const v = argv[i + 1]
    if (!v) continue
    if (k === '--data') a.data = resolve(v)
    else if (k === '--negatives') a.negatives = Number(v)
    else if (k === '--baseline-negatives') a.baselineNegatives = Number(v)
    else if (k === '--customers') a.customers = Number(v)
    else if (k === '--db') a.db = v
    else continue
    i++
  }
  return a
}

const log = (s: string): void => void process.stdout.write(`${s}\n`)
const pct = (x: number): string => `${(x * 100).toFixed(2)} %`
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000

function csvObjects(path: string): Record<string, string>[] {
  const rows = parseCsvRows(readFileSync(path, 'utf8'), path).filter(
    (r) => !(r.cells[0] ?? '').startsWith('#'),
  )
  const header = rows[0]?.cells ?? []
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.cells[i] ?? ''])))
}

/** Loads every list; the 2024 SDN primary file is combined with the newest aliases and addresses. */
function loadLists(data: string): ParsedList[] {
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

interface Positive {
  name: string
  dob: string
  country: string
}

const toPositive = (r: Record<string, string>): Positive => ({
  name: r.full_name ?? '',
  dob: r.date_of_birth ?? '',
  country: r.nationality ?? '',
})

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

/** Highest threshold (over the given scores) keeping recall ≥ target. */
function thresholdForRecall(scores: readonly number[], target: number): number {
  const s = [...scores].sort((a, b) => b - a)
  const k = Math.ceil(target * s.length) - 1
  return s[Math.max(0, k)] ?? 0
}

const rate = (scores: ArrayLike<number>, t: number): number => {
  let n = 0
  for (let i = 0; i < scores.length; i++) if (scores[i]! >= t) n++
  return scores.length === 0 ? 0 : n / scores.length
}

function f1(tp: number, fp: number, fn: number): number {
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)
}

function bestF1(scored: readonly { s: number; y: boolean }[]): { f1: number; t: number } {
  const sorted = [...scored].sort((a, b) => b.s - a.s)
  const pos = sorted.filter((x) => x.y).length
  let tp = 0
  let fp = 0
  let best = { f1: 0, t: 1 }
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.y) tp++
    else fp++
    if (i + 1 < sorted.length && sorted[i + 1]!.s === sorted[i]!.s) continue
    const f = f1(tp, fp, pos - tp)
    if (f > best.f1) best = { f1: f, t: sorted[i]!.s }
  }
  return best
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const rank = (v: readonly number[]): number[] => {
    const idx = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0])
    const r = new Array<number>(v.length)
    for (let i = 0; i < idx.length;) {
      let j = i
      while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++
      for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2
      i = j + 1
    }
    return r
  }
  const ra = rank(a)
  const rb = rank(b)
  const mean = (v: number[]): number => v.reduce((x, y) => x + y, 0) / v.length
  const ma = mean(ra)
  const mb = mean(rb)
  let num = 0
  let da = 0
  let db = 0
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb)
    da += (ra[i]! - ma) ** 2
    db += (rb[i]! - mb) ** 2
  }
  return num / Math.sqrt(da * db)
}

/** Deterministic PRNG (mulberry32) so every run screens the same synthetic customers. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const evalDir = join(args.data, 'screening-eval')
  log(`screening bench — data ${args.data}`)

  // ------------------------------------------------------------------ lists and index
  let t0 = performance.now()
  const lists = loadLists(args.data)
  const index = new ScreeningIndex()
  for (const l of lists) for (const e of l.entries) index.add(e)
  index.build()
  const loadS = (performance.now() - t0) / 1000
  for (const l of lists)
    log(`  ${l.listId}: ${l.entries.length} entries${l.warnings.length ? ` (${l.warnings.join('; ')})` : ''}`)
  log(
    `index: ${index.size} entries, ${index.nameCount} distinct names and aliases, parsed+indexed in ${loadS.toFixed(1)} s`,
  )

  // ------------------------------------------------------------------ UN positives
  const unEntries = new Map<string, number[]>()
  index.entries.forEach((e, i) => {
    if (e.listId !== 'un') return
    for (const n of e.names) {
      const k = normalizeName(n.name, e.type).text
      const list = unEntries.get(k) ?? []
      list.push(i)
      unEntries.set(k, list)
    }
  })
  const untreated = csvObjects(join(evalDir, 'yente/positives_un_untreated.csv')).map(toPositive)
  const treated = csvObjects(join(evalDir, 'yente/positives_un_treated.csv')).map(toPositive)
  // Latency is measured on the negatives (after the positives warmed the JIT): realistic customer names.
  const latencies: number[] = []
  const cpuLatencies: number[] = []
  const screenScore = (p: Positive, targets: readonly number[]): number => {
    const q = {
      name: p.name,
      type: 'person' as SubjectType,
      dob: p.dob,
      countries: p.country ? [p.country] : [],
    }
    const hits = index.screen(q, { threshold: 0.3, limit: 50 })
    let best = 0
    for (const h of hits) {
      if (h.listId !== 'un') continue
      const idx = targets.find((i) => index.entries[i]!.key === h.entryKey)
      if (idx !== undefined && h.score > best) best = h.score
    }
    return best
  }
  const ourUntreated: number[] = []
  const ourTreated: number[] = []
  const baseUntreated: number[] = []
  const baseTreated: number[] = []
  let unmatchedTargets = 0
  const treatedNames: string[] = []
  const baselineEntry = (name: string, targets: readonly number[]): number => {
    let best = 0
    const qn = normalizeName(name).text
    for (const i of targets)
      for (const n of index.entries[i]!.names)
        best = Math.max(best, jaroWinkler(qn, normalizeName(n.name).text))
    return best
  }
  t0 = performance.now()
  for (let i = 0; i < untreated.length; i++) {
    const u = untreated[i]!
    const tr = treated[i]!
    const targets = unEntries.get(normalizeName(u.name, 'person').text)
    if (!targets) {
      unmatchedTargets++
      continue
    }
    ourUntreated.push(screenScore(u, targets))
    ourTreated.push(screenScore(tr, targets))
    treatedNames.push(`${tr.name} (${tr.dob || 'no dob'}) for ${u.name}`)
    baseUntreated.push(baselineEntry(u.name, targets))
    baseTreated.push(baselineEntry(tr.name, targets))
  }
  log(
    `positives: ${ourTreated.length} UN people with a findable listed name (${unmatchedTargets} rows name no UN entry exactly), screened in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  )

  // ------------------------------------------------------------------ negatives
  const negRows = csvObjects(join(evalDir, 'yente/negatives_global.csv')).slice(0, args.negatives)
  const negScores = new Float64Array(negRows.length)
  const negNameOnly = new Float64Array(negRows.length)
  t0 = performance.now()
  const worst: { name: string; score: number; summary: string }[] = []
  negRows.forEach((r, i) => {
    const q = {
      name: r.full_name ?? '',
      type: 'person' as SubjectType,
      ...(r.date_of_birth ? { dob: r.date_of_birth } : {}),
      countries: r.nationality ? [r.nationality] : [],
    }
    const c = process.cpuUsage()
    const t = performance.now()
    const hits = index.screen(q, { threshold: 0.3, limit: 1 })
    latencies.push(performance.now() - t)
    cpuLatencies.push(process.cpuUsage(c).user / 1000)
    negScores[i] = hits[0]?.score ?? 0
    negNameOnly[i] = hits.reduce((m, h) => Math.max(m, h.explanation.nameScore), 0)
    if (hits[0] && hits[0].score >= 0.8)
      worst.push({ name: q.name, score: hits[0].score, summary: hits[0].explanation.summary })
  })
  log(`negatives: ${negRows.length} screened in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  const recallTarget = 0.98
  const tOurs = thresholdForRecall(ourTreated, recallTarget)
  const recallTreated = rate(ourTreated, tOurs)
  const recallUntreated = rate(ourUntreated, tOurs)
  const far = rate(negScores, tOurs)
  log(
    `ours: threshold ${tOurs.toFixed(3)} → treated recall ${pct(recallTreated)}, untreated ${pct(recallUntreated)}, false alerts ${pct(far)}`,
  )
  log(
    `ours at the shipped default ${DEFAULT_THRESHOLD}: treated recall ${pct(rate(ourTreated, DEFAULT_THRESHOLD))}, untreated ${pct(rate(ourUntreated, DEFAULT_THRESHOLD))}, false alerts ${pct(rate(negScores, DEFAULT_THRESHOLD))}`,
  )
  const misses = ourTreated.map((x, i) => [x, i] as const).filter(([x]) => x < DEFAULT_THRESHOLD)
  for (const [x, i] of misses.slice(0, 12))
    log(`  treated miss at the default: ${x.toFixed(3)} ${treatedNames[i]}`)
  worst.sort((a, b) => b.score - a.score)
  for (const w of worst.slice(0, 8)) log(`  top false alert ${w.score}: ${w.name} — ${w.summary}`)

  // Same scorer without date of birth / country (names only), for transparency.
  log(`  (name part alone at ${tOurs.toFixed(3)}: false alerts ${pct(rate(negNameOnly, tOurs))})`)

  // ------------------------------------------------------------------ JW baseline at equal recall
  const tBase = thresholdForRecall(baseTreated, recallTreated)
  const baseRecall = rate(baseTreated, tBase)
  t0 = performance.now()
  const allNames: string[] = []
  const seenName = new Set<string>()
  for (const e of index.entries) {
    for (const n of e.names) {
      const k = normalizeName(n.name).text
      if (seenName.has(k)) continue
      seenName.add(k)
      allNames.push(k)
    }
  }
  // Exact pruning: Jaro ≤ (m/|a| + m/|b| + 1)/3 with m ≤ the letters both strings share.
  const bags = allNames.map((s) => {
    const b = new Uint8Array(37)
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      b[c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? c - 22 : 36]!++
    }
    return b
  })
  const jaroNeeded = (tBase - 0.4) / 0.6
  const nBase = Math.min(args.baselineNegatives, negRows.length)
  let baseAlerts = 0
  const qb = new Uint8Array(37)
  for (let i = 0; i < nBase; i++) {
    const qn = normalizeName(negRows[i]!.full_name ?? '').text
    qb.fill(0)
    for (let k = 0; k < qn.length; k++) {
      const c = qn.charCodeAt(k)
      qb[c >= 97 && c <= 122 ? c - 97 : c >= 48 && c <= 57 ? c - 22 : 36]!++
    }
    let alert = false
    for (let j = 0; j < allNames.length && !alert; j++) {
      const s = allNames[j]!
      const b = bags[j]!
      let m = 0
      for (let k = 0; k < 37; k++) m += Math.min(qb[k]!, b[k]!)
      if ((m / qn.length + m / s.length + 1) / 3 < jaroNeeded) continue
      if (jaroWinkler(qn, s) >= tBase) alert = true
    }
    if (alert) baseAlerts++
  }
  const baseFar = nBase === 0 ? 0 : baseAlerts / nBase
  log(
    `baseline (plain Jaro-Winkler on normalised names): threshold ${tBase.toFixed(3)} → treated recall ${pct(baseRecall)}, false alerts ${pct(baseFar)} on ${nBase} negatives (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  )
  log(
    `  reduction in false alerts vs baseline at equal recall: ${baseFar > 0 ? pct(1 - far / baseFar) : 'n/a'}`,
  )

  // ------------------------------------------------------------------ nomenklatura pairs
  const pairs = csvObjects(join(evalDir, 'nomenklatura/name-pairs.csv'))
  const schemaType = (s: string | undefined): SubjectType =>
    s === 'Person' ? 'person' : s === 'Vessel' ? 'vessel' : s ? 'entity' : 'unknown'
  const scored = pairs.map((p) => ({
    s: scoreNames(p.name1 ?? '', p.name2 ?? '', schemaType(p.schema), index.stats),
    y: p.is_match === 'true',
    key: `${p.name1}|${p.name2}`,
  }))
  // Threshold picked by 5-fold cross-validation, so F1 is measured on pairs it was not chosen on.
  const folds = 5
  let tp = 0
  let fp = 0
  let fn = 0
  for (let f = 0; f < folds; f++) {
    const train = scored.filter((_, i) => i % folds !== f)
    const test = scored.filter((_, i) => i % folds === f)
    const t = bestF1(train).t
    for (const x of test) {
      if (x.s >= t && x.y) tp++
      else if (x.s >= t) fp++
      else if (x.y) fn++
    }
  }
  const pairsF1 = f1(tp, fp, fn)
  const oracle = bestF1(scored)
  const lv2 = csvObjects(join(evalDir, 'nomenklatura/name-pairs-logicv2-scores.csv'))
  let ltp = 0
  let lfp = 0
  let lfn = 0
  for (const r of lv2) {
    const y = r.is_match === 'true'
    const pred = r.predicted_match === 'true'
    if (pred && y) ltp++
    else if (pred) lfp++
    else if (y) lfn++
  }
  const logicF1 = f1(ltp, lfp, lfn)
  const lv2Oracle = bestF1(lv2.map((r) => ({ s: Number(r.score), y: r.is_match === 'true' })))
  const lv2Keys = new Set(lv2.map((r) => `${r.name1}|${r.name2}`))
  const oursOnLv2 = bestF1(scored.filter((x) => lv2Keys.has(x.key)))
  const atDefault = (() => {
    let a = 0
    let b = 0
    let c = 0
    for (const x of scored) {
      if (x.s >= DEFAULT_THRESHOLD && x.y) a++
      else if (x.s >= DEFAULT_THRESHOLD) b++
      else if (x.y) c++
    }
    return f1(a, b, c)
  })()
  log(
    `name pairs: ${scored.length} — ours F1 ${pairsF1.toFixed(4)} (5-fold CV threshold), ${atDefault.toFixed(4)} at the default ${DEFAULT_THRESHOLD}, best-threshold ${oracle.f1.toFixed(4)} @ ${oracle.t.toFixed(3)}; on logic-v2's ${lv2.length} rows best ${oursOnLv2.f1.toFixed(4)}`,
  )
  log(
    `  logic-v2: F1 ${logicF1.toFixed(4)} at its own threshold, best-threshold ${lv2Oracle.f1.toFixed(4)} @ ${lv2Oracle.t.toFixed(3)}`,
  )

  // ------------------------------------------------------------------ OFAC tool parity
  const ofac = csvObjects(join(evalDir, 'nomenklatura/ofac-tool-scores.csv'))
  const ours = ofac.map(
    (r) => 100 * scoreNames(r.query_name ?? '', r.result_name ?? '', 'unknown', index.stats),
  )
  const theirs = ofac.map((r) => Number(r.ofac_score))
  const baseOfac = ofac.map((r) => 100 * baselineScore(r.query_name ?? '', r.result_name ?? ''))
  const mae = ours.reduce((s, x, i) => s + Math.abs(x - theirs[i]!), 0) / ours.length
  const agree90 = ours.filter((x, i) => x >= 90 === theirs[i]! >= 90).length / ours.length
  log(
    `OFAC tool parity: ${ofac.length} rows, Spearman ${spearman(ours, theirs).toFixed(3)} (baseline JW ${spearman(baseOfac, theirs).toFixed(3)}), mean |Δ| ${mae.toFixed(1)} points, same side of 90: ${pct(agree90)}`,
  )

  // ------------------------------------------------------------------ cross-script pairs (Watchman)
  const cross = readFileSync(join(evalDir, 'watchman/cross_script_pairs.csv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(','))
  let crossOk = 0
  const crossMiss: string[] = []
  for (const [q, m, min] of cross) {
    const sc = scoreNames(q ?? '', m ?? '', 'person', index.stats)
    if (sc >= Number(min)) crossOk++
    else crossMiss.push(`${q}→${m} ${sc.toFixed(2)}<${min}`)
  }
  log(
    `cross-script pairs: ${crossOk}/${cross.length} reach Watchman's minimum score; misses: ${crossMiss.join('; ')}`,
  )

  // ------------------------------------------------------------------ latency
  const lat = Float64Array.from(latencies).sort()
  const p99 = percentile(lat, 0.99)
  const cpuLat = Float64Array.from(cpuLatencies).sort()
  log(
    `latency over ${lat.length} screenings (one name each, all lists) against ${index.nameCount} names: p50 ${percentile(lat, 0.5).toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${lat[lat.length - 1]?.toFixed(1)} ms wall-clock; on-CPU time (excludes waiting for a core on a shared machine) p50 ${percentile(cpuLat, 0.5).toFixed(3)} ms, p99 ${percentile(cpuLat, 0.99).toFixed(3)} ms; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
  )

  // ------------------------------------------------------------------ rescreen 1M customers
  const rescreen = rescreenBench(index, negRows, args.customers)
  log(
    `rescreen: ${args.customers} customers against a ${rescreen.updateSize}-entry update in ${rescreen.seconds.toFixed(1)} s (${rescreen.hits} hits, ${rescreen.plantedFound}/${rescreen.planted} planted look-alikes found)`,
  )

  if (args.db) await dbRescreen(args.db, lists[0]!, negRows, args.customers)

  process.stdout.write(
    `${JSON.stringify({
      bench: 'screening',
      recall_treated: r4(recallTreated),
      false_alert_rate: r4(far),
      baseline_false_alert_rate: r4(baseFar),
      pairs_f1: r4(pairsF1),
      logicv2_f1: r4(logicF1),
      p99_ms: r4(p99),
      rescreen_1m_s: Math.round(rescreen.seconds * 10) / 10,
    })}\n`,
  )
}

function rescreenBench(
  full: ScreeningIndex,
  people: readonly Record<string, string>[],
  customers: number,
): { seconds: number; hits: number; updateSize: number; planted: number; plantedFound: number } {
  const rand = rng(42)
  // A 100-entry update: 100 SDN people and entities, as if added or changed in a new snapshot.
  const candidates = full.entries.filter((e) => e.listId === 'ofac_sdn')
  const update: ListEntry[] = []
  const step = Math.floor(candidates.length / 100)
  for (let i = 0; i < 100; i++) update.push(candidates[i * step]!)
  const firsts = people.map((p) => p.first_name ?? '').filter(Boolean)
  const middles = people.map((p) => p.middle_name ?? '').filter(Boolean)
  const lasts = people.map((p) => p.last_name ?? '').filter(Boolean)
  const pick = (a: readonly string[]): string => a[Math.floor(rand() * a.length)]!
  const plantedEvery = 100_000
  const t0 = performance.now()
  const small = new ScreeningIndex(full.params, full.stats)
  for (const e of update) small.add(e)
  small.build()
  let hits = 0
  let planted = 0
  let plantedFound = 0
  for (let i = 0; i < customers; i++) {
    let name: string
    let isPlanted = false
    if (i % plantedEvery === 0) {
      // A customer who is one of the updated entries, written differently.
      const e = update[(i / plantedEvery) % update.length]!
      name = (e.names[0]?.name ?? '').toLowerCase()
      isPlanted = true
      planted++
    } else {
      name =
        rand() < 0.4 ? `${pick(firsts)} ${pick(middles)} ${pick(lasts)}` : `${pick(firsts)} ${pick(lasts)}`
    }
    const y = 1940 + Math.floor(rand() * 65)
    let dob = `${y}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`
    if (isPlanted) {
      const e = update[(i / plantedEvery) % update.length]!
      dob = e.dobs[0] && /^\d{4}(-\d\d(-\d\d)?)?$/.test(e.dobs[0]) ? e.dobs[0] : ''
    }
    const found = small.screen(dob ? { name, dob } : { name })
    if (found.length > 0) {
      hits++
      if (isPlanted) plantedFound++
    }
  }
  return { seconds: (performance.now() - t0) / 1000, hits, updateSize: update.length, planted, plantedFound }
}

/**
 * The whole rescreen path on PostgreSQL: subjects stored in screening_subjects (bulk-inserted,
 * names drawn from the negatives' name parts), a snapshot adding 100 entries, and the service's
 * rescreen paging every subject from the database. Rows are removed afterwards.
 */
async function dbRescreen(
  url: string,
  sdn: ParsedList,
  people: readonly Record<string, string>[],
  customers: number,
): Promise<void> {
  const { connect } = await import('../src/shared/db/connect.js')
  const { migrateToLatest } = await import('../src/shared/db/migrate.js')
  const { allMigrations, allRoutines } = await import('../src/migrations.js')
  const { createScreening } = await import('../src/modules/screening/index.js')
  const { sql } = await import('kysely')
  const h = await connect({ databaseUrl: url })
  try {
    await migrateToLatest(h.db, allMigrations, allRoutines)
    const s = createScreening({
      db: h.db,
      clock: { now: () => new Date() },
      ids: (p) => `${p}_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`,
    })
    const tenant = `ten_bench_${Date.now().toString(36)}`
    const base = sdn.entries.slice(0, sdn.entries.length - 100)
    await s.importParsed(
      tenant,
      { ...sdn, entries: base },
      { source: 'bench-base', sha256: 'bench-base' },
      { rescreen: false },
    )
    const firsts = [...new Set(people.map((p) => p.first_name ?? '').filter(Boolean))]
    const lasts = [...new Set(people.map((p) => p.last_name ?? '').filter(Boolean))]
    let t0 = performance.now()
    await sql`
      INSERT INTO screening_subjects (tenant_id, subject_id, query, fingerprint, updated_at)
      SELECT ${tenant}, 'cus_' || lpad(g::text, 8, '0'),
             jsonb_build_object('name', (${firsts}::text[])[1 + ((g::bigint * 7919) % ${firsts.length})::int] || ' ' || (${lasts}::text[])[1 + ((g::bigint * 104729) % ${lasts.length})::int],
                                'dob', (1940 + g % 65)::text),
             md5(g::text), now()
      FROM generate_series(1, ${customers}) g`.execute(h.db)
    await sql`ANALYZE screening_subjects`.execute(h.db)
    log(`db rescreen: ${customers} subjects stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    t0 = performance.now()
    const r = await s.importParsed(tenant, sdn, { source: 'bench-update', sha256: 'bench-update' })
    log(
      `db rescreen: snapshot adding ${r.added} entries, written and all ${r.rescreen?.subjects ?? 0} subjects rescreened through the service in ${((performance.now() - t0) / 1000).toFixed(1)} s (${r.rescreen?.hits ?? 0} hits, ${r.rescreen?.alertsCreated ?? 0} alerts)`,
    )
    for (const table of [
      'screening_alerts',
      'screening_subjects',
      'screening_entry_changes',
      'screening_entries',
      'screening_snapshots',
      'screening_lists',
      'screening_audit',
    ]) {
      await sql`DELETE FROM ${sql.table(table)} WHERE tenant_id = ${tenant}`.execute(h.db)
    }
  } finally {
    await h.close()
  }
}
