import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createCrypto, localKeyStore } from '../src/modules/crypto/index.js'
import type { EventMessage } from '../src/modules/events/index.js'
import {
  applyEvents,
  createPostgresEngine,
  createSearch,
  explainSearch,
} from '../src/modules/search/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect, type Db } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'
import {
  insertParties,
  insertPaymentsSetBased,
  projectPaymentsSetBased,
  sampleMatches,
  withIndexesDropped,
} from './search-seed.js'

/**
 * `npm run bench -- search [--count N] [--queries Q] [--burst B] [--database-url URL]`
 * N parties (encrypted names, as parties stores them) and N payments written to their tables, indexed by
 * `reindex`; then Q misspelt party-name queries (p50/p99 and recall of the intended party in the top 5),
 * and the indexer's time to apply a burst of B payment events (batches of 2,000, as the bus hands them).
 * Names come from seed 1 (data); misspellings from seed 2 (evaluation); nothing was tuned on seed 2.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ONSETS = [
  'b',
  'br',
  'c',
  'ch',
  'd',
  'f',
  'g',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  'sh',
  't',
  'v',
  'w',
  'z',
]
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou']
const CODAS = ['', '', 'n', 'r', 's', 'l', 'm', 'th', 'ck']

function word(r: () => number, syllables: number): string {
  let w = ''
  for (let i = 0; i < syllables; i++)
    w +=
      ONSETS[Math.floor(r() * ONSETS.length)]! +
      VOWELS[Math.floor(r() * VOWELS.length)]! +
      CODAS[Math.floor(r() * CODAS.length)]!
  return w.charAt(0).toUpperCase() + w.slice(1)
}

/** One typo in one word: substitution, deletion, insertion or transposition (as people type). */
function misspell(name: string, r: () => number): string {
  const words = name.split(' ')
  const i = Math.floor(r() * words.length)
  const w = words[i]!.toLowerCase()
  const p = 1 + Math.floor(r() * Math.max(1, w.length - 2))
  const letter = 'abcdefghijklmnopqrstuvwxyz'[Math.floor(r() * 26)]!
  const kind = Math.floor(r() * 4)
  const typo =
    kind === 0
      ? w.slice(0, p) + letter + w.slice(p + 1)
      : kind === 1
        ? w.slice(0, p) + w.slice(p + 1)
        : kind === 2
          ? w.slice(0, p) + letter + w.slice(p)
          : w.slice(0, p - 1) + (w[p] ?? '') + (w[p - 1] ?? '') + w.slice(p + 1)
  words[i] = typo
  return words.join(' ')
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

async function insertPayments(db: Db, tenant: string, count: number, r: () => number): Promise<string[]> {
  const ids: string[] = []
  const BATCH = 2000
  for (let i = 0; i < count; i += BATCH) {
    const rows = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      const id = newId('pay')
      ids.push(id)
      const amount = String(100 + Math.floor(r() * 100_000))
      const method = r() < 0.5 ? 'pm_card_visa' : 'pm_card_mastercard'
      rows.push(
        sql`(${tenant}, ${id}, 'succeeded', ${amount}::bigint, 'EUR', 'automatic', ${method}, ${`cus_b${j}`}, 'sandbox',
          ${`ch_${randomBytes(6).toString('hex')}`}, now(), now())`,
      )
    }
    await sql`INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
      customer, gateway, gateway_ref, created_at, updated_at) VALUES ${sql.join(rows)}`.execute(db)
  }
  return ids
}

function flag(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback
}

export async function main(args: string[]): Promise<void> {
  const count = Number(flag(args, '--count', '1000000'))
  const queries = Number(flag(args, '--queries', '1000'))
  const burst = Number(flag(args, '--burst', '10000'))
  const databaseUrl = flag(args, '--database-url', process.env.DATABASE_URL ?? '')
  const log = (s: string) => process.stderr.write(`${s}\n`)
  const h = await connect(databaseUrl ? { databaseUrl, poolSize: 4 } : {})
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const crypto = await createCrypto({
    db: h.db,
    clock: systemClock,
    ids: systemIds,
    keyStore: localKeyStore(randomBytes(32)),
  })
  const engine = createPostgresEngine(h.db)
  let lastLag = 0
  const search = createSearch({
    db: h.db,
    engine,
    fieldCipher: crypto.fieldCipher,
    onLag: (s) => (lastLag = Math.max(lastLag, s)),
  })
  const tenant = newId('ten')
  const data = rng(1)
  const names = Array.from(
    { length: count },
    () => `${word(data, 2)} ${word(data, 2 + Math.floor(data() * 2))}`,
  )
  let t = performance.now()
  const partyIds = await insertParties(
    h.db,
    crypto.fieldCipher,
    tenant,
    names,
    (n) => n % 100_000 === 0 && log(`  parties ${n}`),
  )
  await insertPaymentsSetBased(h.db, tenant, count)
  log(
    `wrote ${count} parties and ${count} payments in ${((performance.now() - t) / 1000).toFixed(1)} s (${h.engine})`,
  )
  t = performance.now()
  // --bulk (a bench database of its own): the search indexes dropped and built again after the load;
  // parties through the real reindex (decrypt, seal), payments projected set-based in SQL and a sample
  // checked against the indexer's own builder. Without --bulk: the real reindex of everything, through the indexes.
  const progress = (p: { type: string; done: number; total: number }) =>
    p.done % 100_000 === 0 && p.done > 0 && log(`  ${p.type} ${p.done}/${p.total}`)
  const r = args.includes('--bulk')
    ? await withIndexesDropped(
        h.db,
        async () => {
          const parties = await search.reindex(tenant, {
            types: ['party'],
            pageSize: 5000,
            onProgress: progress,
          })
          const payments = await projectPaymentsSetBased(h.db, tenant, new Date())
          return { indexed: { ...parties.indexed, payment: payments } }
        },
        log,
      )
    : await search.reindex(tenant, { pageSize: 5000, onProgress: progress })
  const indexSeconds = (performance.now() - t) / 1000
  log(`indexed ${JSON.stringify(r.indexed)} in ${indexSeconds.toFixed(1)} s`)
  await sql`ANALYZE search_documents`.execute(h.db)
  const sample = await search.sources
    .find((x) => x.type === 'payment')!
    .refresh(
      tenant,
      (
        await sql<{ payment_id: string }>`SELECT payment_id FROM payments WHERE tenant_id = ${tenant}
          ORDER BY md5(payment_id) LIMIT 200`.execute(h.db)
      ).rows.map((x) => x.payment_id),
    )
  const differences = await sampleMatches(async (ids) => {
    const rows = await sql<{ doc_id: string; title: string; body: string; keys: string[] }>`
      SELECT doc_id, title, body, keys FROM search_documents WHERE tenant_id = ${tenant} AND doc_type = 'payment'
        AND doc_id = ANY(${ids}::text[])`.execute(h.db)
    return new Map(rows.rows.map((x) => [x.doc_id, x]))
  }, sample.upsert)
  if (differences.length > 0)
    throw new Error(`projected documents differ from the indexer's: ${differences.slice(0, 3).join('; ')}`)
  log(`${sample.upsert.length} payment documents checked against the indexer's builder: identical`)

  // Held-out evaluation: seed 2 picks the parties and the typos.
  const evalRng = rng(2)
  const latencies: number[] = []
  let found = 0
  for (let i = 0; i < queries; i++) {
    const k = Math.floor(evalRng() * count)
    const q = misspell(names[k]!, evalRng)
    const s = performance.now()
    const page = await search.search(tenant, { q, limit: 5 })
    latencies.push(performance.now() - s)
    if (page.hits.some((hit) => hit.id === partyIds[k])) found++
  }
  latencies.sort((a, b) => a - b)
  if (args.includes('--explain')) {
    const e = rng(2)
    for (let i = 0; i < 3; i++) {
      const q = misspell(names[Math.floor(e() * count)]!, e)
      log(`EXPLAIN ANALYZE for "${q}":`)
      for (const line of await explainSearch(h.db, search.compile(tenant, { q }, 50))) log(`  ${line}`)
    }
  }
  const p50 = quantile(latencies, 0.5)
  const p99 = quantile(latencies, 0.99)
  log(
    `${queries} misspelt queries: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, recall@5 ${((found / queries) * 100).toFixed(1)} %`,
  )

  // Burst: B new payments committed, then their events applied by the indexer in bus-sized batches.
  const burstIds = await insertPayments(h.db, tenant, burst, data)
  const committed = new Date()
  const messages: EventMessage[] = burstIds.map((id, i) => ({
    id: `evt_${i}`,
    topic: 'payments.payment.created.v1',
    key: id,
    tenantId: tenant,
    payload: { paymentId: id },
    occurredAt: committed,
    headers: {},
    position: String(i),
  }))
  t = performance.now()
  lastLag = 0
  for (let i = 0; i < messages.length; i += 2000)
    await applyEvents({ db: h.db, engine, sources: search.sources }, messages.slice(i, i + 2000))
  const lagSeconds = (performance.now() - t) / 1000
  log(`burst of ${burst} events indexed ${lagSeconds.toFixed(2)} s after commit`)
  await h.close()
  process.stdout.write(
    `${JSON.stringify({
      bench: 'search',
      engine: h.engine,
      parties: count,
      payments: count,
      index_seconds: Math.round(indexSeconds * 10) / 10,
      queries,
      fuzzy_p50_ms: Math.round(p50 * 10) / 10,
      fuzzy_p99_ms: Math.round(p99 * 10) / 10,
      recall_at_5: Math.round((found / queries) * 1000) / 1000,
      burst_events: burst,
      burst_lag_seconds: Math.round(lagSeconds * 100) / 100,
    })}\n`,
  )
}
