/**
 * `npm run bench -- screening [--data DIR] [--negatives N] [--baseline-negatives N] [--customers N] [--db URL]`
 *
 * Evaluates the sanctions matcher on ../shared/data. Every evaluation set is split into a tuning
 * part and a held-out part (bench/screening/split.ts, fixed before tuning); the parameter search
 * (`npm run bench -- screening-params`) only ever sees the tuning part, and the held-out part is the
 * headline here, with the tuning figures beside it. Reported: recall per positive set and kind
 * (UN positives, and the synthetic kinds of bench/screening/kinds.ts) and false alerts per negative
 * set and kind at the shipped threshold; the curve of false alerts on the yente negatives at recall
 * R of the pooled positives, for this scorer and for plain Jaro-Winkler at the same recall; F1 on
 * the nomenklatura name pairs (threshold chosen on the tuning pairs) against logic-v2; parity with
 * OFAC's own search tool; Watchman's cross-script pairs; per-name latency against every list; and
 * a rescreen of 1,000,000 synthetic customers against a 100-entry list update.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  baselineScore,
  DEFAULT_THRESHOLD,
  scoreNames,
  ScreeningIndex,
  type ListEntry,
  type ParsedList,
  type SubjectType,
} from '../src/modules/screening/index.js'
import {
  baselineNegatives,
  csvObjects,
  curve,
  HEADLINE_POSITIVES,
  loadEvalInputs,
  loadLists,
  negativePart,
  rate,
  RECALL_POINTS,
  scoreAll,
  scoresOf,
  thresholdForRecall,
  type Scored,
} from './screening/evaluate.js'
import { NEGATIVE_KINDS, rng } from './screening/kinds.js'
import { partOf, type Part } from './screening/split.js'

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
    baselineNegatives: 3_000,
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

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
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

function f1At(scored: readonly { s: number; y: boolean }[], t: number): number {
  let tp = 0
  let fp = 0
  let fn = 0
  for (const x of scored) {
    if (x.s >= t && x.y) tp++
    else if (x.s >= t) fp++
    else if (x.y) fn++
  }
  return f1(tp, fp, fn)
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

/** Recall (positives) or false alerts (negatives) of every set and kind of one part at threshold t. */
function perKind(scored: readonly Scored[], part: Part, t: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of ['yente-untreated', ...HEADLINE_POSITIVES, 'yente-negatives', ...NEGATIVE_KINDS])
    out[k] = r4(rate(scoresOf(scored, part, [k]), t))
  return out
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

  // ------------------------------------------------------------------ every set, both parts
  const inputs = loadEvalInputs(args.data, index, args.negatives)
  const latencies: number[] = []
  const cpuLatencies: number[] = []
  t0 = performance.now()
  const scored = scoreAll(index, inputs, {
    parts: ['tuning', 'heldout'],
    baseline: true,
    onNegative: (wall, cpu) => {
      latencies.push(wall)
      cpuLatencies.push(cpu)
    },
  })
  log(`scored ${scored.length} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const count = (part: Part, set: string): number =>
    scored.filter((x) => x.part === part && x.set === set).length

  const T = DEFAULT_THRESHOLD
  const report: Record<string, unknown> = {}
  for (const part of ['heldout', 'tuning'] as const) {
    const pos = scoresOf(scored, part, HEADLINE_POSITIVES)
    const neg = scoresOf(scored, part, ['yente-negatives'])
    log(
      `\n${part === 'heldout' ? 'HELD-OUT (headline)' : 'tuning (what the rules and parameters were chosen on)'}: ${pos.length} positives pooled (${HEADLINE_POSITIVES.join(', ')}), ${neg.length} yente negatives`,
    )
    log(`  at the shipped threshold ${T}: recall ${pct(rate(pos, T))}, false alerts ${pct(rate(neg, T))}`)
    for (const k of ['yente-untreated', ...HEADLINE_POSITIVES])
      log(`    ${k.padEnd(20)} recall ${pct(rate(scoresOf(scored, part, [k]), T))} (n=${count(part, k)})`)
    for (const k of NEGATIVE_KINDS)
      log(
        `    ${k.padEnd(20)} false alerts ${pct(rate(scoresOf(scored, part, [k]), T))} (n=${count(part, k)})`,
      )
    const c = curve(scored, part)
    for (const p of c)
      log(`  recall ${pct(p.recall)} at threshold ${p.threshold.toFixed(3)}: false alerts ${pct(p.far)}`)
    report[part] = {
      recall: r4(rate(pos, T)),
      far: r4(rate(neg, T)),
      perKind: perKind(scored, part, T),
      curve: c,
    }
  }

  // ------------------------------------------------------------------ misses and false alerts (held-out, to read)
  const missed = scored
    .filter((x) => x.part === 'heldout' && x.positive && x.set !== 'yente-untreated' && x.score < T)
    .sort((a, b) => a.score - b.score)
  for (const m of missed.slice(0, 15)) log(`  held-out miss ${m.set} ${m.score.toFixed(3)}: ${m.label}`)
  const alerts = scored
    .filter((x) => x.part === 'heldout' && !x.positive && x.score >= T)
    .sort((a, b) => b.score - a.score)
  for (const w of alerts.filter((x) => x.set === 'yente-negatives').slice(0, 8))
    log(`  held-out false alert ${w.score.toFixed(3)}: ${w.label} — ${w.summary ?? ''}`)

  // ------------------------------------------------------------------ JW baseline at equal recall (held-out)
  // Jaro-Winkler over whole names needs thresholds so low for the pooled kinds (first given name
  // only, legal forms) that nearly every name alerts; names below BASE_FLOOR are not scored exactly,
  // so a rate at a threshold under it is a lower bound ("≥").
  const BASE_FLOOR = 0.7
  t0 = performance.now()
  const heldNegRows = inputs.negatives
    .filter((r) => negativePart(r) === 'heldout')
    .slice(0, args.baselineNegatives)
  const baseNeg = baselineNegatives(
    index,
    heldNegRows.map((r) => r.full_name ?? ''),
    BASE_FLOOR,
  )
  const ourNeg = scoresOf(scored, 'heldout', ['yente-negatives'])
  const compare = (
    sets: readonly string[],
  ): { recall: number; base: number; baseT: number; ours: number }[] => {
    const rows = scored.filter((x) => x.part === 'heldout' && sets.includes(x.set))
    const basePos = rows.map((x) => x.base ?? 0)
    const ourPos = rows.map((x) => x.score)
    return RECALL_POINTS.map((recall) => {
      const baseT = thresholdForRecall(basePos, recall)
      return {
        recall,
        base: rate(baseNeg, baseT),
        baseT,
        ours: rate(ourNeg, thresholdForRecall(ourPos, recall)),
      }
    })
  }
  log(
    `\nplain Jaro-Winkler on normalised names vs ours at equal recall, held-out (${heldNegRows.length} negatives for Jaro-Winkler, ${ourNeg.length} for ours; ${((performance.now() - t0) / 1000).toFixed(1)} s):`,
  )
  const baseline: Record<string, unknown> = {}
  for (const [label, sets] of [
    ['yente-treated', ['yente-treated']],
    ['pooled', HEADLINE_POSITIVES],
  ] as const) {
    const rows = compare(sets)
    baseline[label] = rows
    for (const r of rows)
      log(
        `  ${label.padEnd(13)} recall ${pct(r.recall)}: Jaro-Winkler ${r.baseT < BASE_FLOOR ? '≥ ' : ''}${pct(r.base)} false alerts (threshold ${r.baseT.toFixed(3)}) vs ours ${pct(r.ours)}`,
      )
  }
  const ourCurve = curve(scored, 'heldout')

  // ------------------------------------------------------------------ nomenklatura pairs
  const pairs = csvObjects(join(evalDir, 'nomenklatura/name-pairs.csv'))
  const schemaType = (s: string | undefined): SubjectType =>
    s === 'Person' ? 'person' : s === 'Vessel' ? 'vessel' : s ? 'entity' : 'unknown'
  const pairScored = pairs.map((p) => ({
    s: scoreNames(p.name1 ?? '', p.name2 ?? '', schemaType(p.schema), index.stats),
    y: p.is_match === 'true',
    key: `${p.name1}|${p.name2}`,
    part: partOf('nomenklatura-pairs', p.name2 ?? ''),
  }))
  const pTune = pairScored.filter((x) => x.part === 'tuning')
  const pHeld = pairScored.filter((x) => x.part === 'heldout')
  const tPairs = bestF1(pTune).t
  const pairsF1 = f1At(pHeld, tPairs)
  const lv2 = csvObjects(join(evalDir, 'nomenklatura/name-pairs-logicv2-scores.csv'))
  const lv2Held = lv2
    .filter((r) => partOf('nomenklatura-pairs', r.name2 ?? '') === 'heldout')
    .map((r) => ({ s: r.predicted_match === 'true' ? 1 : 0, y: r.is_match === 'true' }))
  const logicF1 = f1At(lv2Held, 1)
  log(
    `\nname pairs: held-out ${pHeld.length} pairs, ours F1 ${pairsF1.toFixed(4)} (threshold ${tPairs.toFixed(3)} chosen on the ${pTune.length} tuning pairs), ${f1At(pHeld, T).toFixed(4)} at the shipped ${T}; logic-v2 at its own threshold on its ${lv2Held.length} held-out rows: ${logicF1.toFixed(4)}; tuning pairs: ours best F1 ${bestF1(pTune).f1.toFixed(4)}`,
  )

  // ------------------------------------------------------------------ OFAC tool parity
  const ofac = csvObjects(join(evalDir, 'nomenklatura/ofac-tool-scores.csv')).filter(
    (r) => partOf('ofac-tool', r.query_name ?? '') === 'heldout',
  )
  const ours = ofac.map(
    (r) => 100 * scoreNames(r.query_name ?? '', r.result_name ?? '', 'unknown', index.stats),
  )
  const theirs = ofac.map((r) => Number(r.ofac_score))
  const baseOfac = ofac.map((r) => 100 * baselineScore(r.query_name ?? '', r.result_name ?? ''))
  const mae = ours.reduce((s, x, i) => s + Math.abs(x - theirs[i]!), 0) / Math.max(1, ours.length)
  log(
    `OFAC tool parity (held-out ${ofac.length} rows): Spearman ${spearman(ours, theirs).toFixed(3)} (baseline JW ${spearman(baseOfac, theirs).toFixed(3)}), mean |Δ| ${mae.toFixed(1)} points`,
  )

  // ------------------------------------------------------------------ cross-script pairs (Watchman)
  const crossRows = readCross(join(evalDir, 'watchman/cross_script_pairs.csv'))
  for (const part of ['heldout', 'tuning'] as const) {
    const rows = crossRows.filter((r) => partOf('watchman-cross-script', r.expected) === part)
    const miss = rows
      .map((r) => ({ ...r, sc: scoreNames(r.query, r.expected, 'person', index.stats) }))
      .filter((r) => r.sc < r.min)
    log(
      `cross-script pairs, ${part}: ${rows.length - miss.length}/${rows.length} reach Watchman's minimum score${miss.length ? `; misses: ${miss.map((r) => `${r.query}→${r.expected} ${r.sc.toFixed(2)}<${r.min}`).join('; ')}` : ''}`,
    )
  }

  // ------------------------------------------------------------------ latency
  const lat = Float64Array.from(latencies).sort()
  const p99 = percentile(lat, 0.99)
  const cpuLat = Float64Array.from(cpuLatencies).sort()
  const os = await import('node:os')
  log(
    `latency over ${lat.length} screenings (one name each, all lists) against ${index.nameCount} names: p50 ${percentile(lat, 0.5).toFixed(3)} ms, p99 ${p99.toFixed(3)} ms, max ${lat[lat.length - 1]?.toFixed(1)} ms wall-clock; on-CPU p50 ${percentile(cpuLat, 0.5).toFixed(3)} ms, p99 ${percentile(cpuLat, 0.99).toFixed(3)} ms; ${(lat.length / (lat.reduce((s, x) => s + x, 0) / 1000)).toFixed(0)} names/s on one core; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
  )

  // ------------------------------------------------------------------ rescreen 1M customers
  const rescreen = rescreenBench(index, inputs.negatives, args.customers)
  log(
    `rescreen: ${args.customers} customers against a ${rescreen.updateSize}-entry update in ${rescreen.seconds.toFixed(1)} s (${rescreen.hits} hits, ${rescreen.plantedFound}/${rescreen.planted} planted look-alikes found)`,
  )

  if (args.db) await dbRescreen(args.db, lists[0]!, inputs.negatives, args.customers)

  const held = report.heldout as { recall: number; far: number; perKind: Record<string, number> }
  const tune = report.tuning as { recall: number; far: number }
  const at98 = ourCurve.find((c) => c.recall === 0.98)!
  const base98 = (baseline['yente-treated'] as { recall: number; base: number; ours: number }[]).find(
    (c) => c.recall === 0.98,
  )!
  process.stdout.write(
    `${JSON.stringify({
      bench: 'screening',
      threshold: T,
      heldout_recall: held.recall,
      heldout_false_alert_rate: held.far,
      tuning_recall: tune.recall,
      tuning_false_alert_rate: tune.far,
      heldout_far_at_98: r4(at98.far),
      treated_far_at_98: r4(base98.ours),
      baseline_treated_far_at_98: r4(base98.base),
      heldout_per_kind: held.perKind,
      pairs_f1_heldout: r4(pairsF1),
      logicv2_f1_heldout: r4(logicF1),
      p99_ms: r4(p99),
      rescreen_1m_s: Math.round(rescreen.seconds * 10) / 10,
    })}\n`,
  )
}

/** Watchman's file has no header row, only a "# Format: Query,Expected Match,Min Score,…" comment. */
function readCross(path: string): { query: string; expected: string; min: number }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(','))
    .map(([query = '', expected = '', min = '1']) => ({ query, expected, min: Number(min) }))
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
