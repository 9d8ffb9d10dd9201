import { sql } from 'kysely'
import { performance } from 'node:perf_hooks'
import { allMigrations, allRoutines } from '../src/migrations.js'
import type { FieldCipher } from '../src/modules/crypto/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { createPostgresEngine, createSearch } from '../src/modules/search/index.js'
import { connect, type Db } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId } from '../src/shared/ids.js'

/** A migrated database (a server's URL, else PGlite), a throwaway master key, and search on PostgreSQL. */
export async function openSearchBench(databaseUrl: string) {
  const h = await connect(databaseUrl ? { databaseUrl, poolSize: 4 } : {})
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const crypto = await throwawayCrypto(h.db)
  const engine = createPostgresEngine(h.db)
  const search = createSearch({ db: h.db, engine, fieldCipher: crypto.fieldCipher })
  return { h, crypto, engine, search }
}

/**
 * Seeding for `npm run bench -- search` at 1M + 1M: the source tables are written in bulk (payments
 * set-based with generate_series; parties in large batches, their details encrypted as parties stores
 * them), then the documents are built by the real `reindex` with the search indexes dropped and built
 * again afterwards — the way one bulk-loads a GIN-indexed table (one sort per index instead of 2M
 * index insertions). `search_index_definitions` keeps each index's own definition, so what is built
 * again is exactly what the migrations made.
 */

/** Encrypted parties, BATCH at a time (encryption is per row, the INSERT is one statement). */
export async function insertParties(
  db: Db,
  cipher: FieldCipher,
  tenant: string,
  names: readonly string[],
  onProgress?: (done: number) => void,
): Promise<string[]> {
  const ids: string[] = []
  const BATCH = 2000
  for (let i = 0; i < names.length; i += BATCH) {
    const batchIds: string[] = []
    const cts = await Promise.all(
      names.slice(i, i + BATCH).map((name) => {
        const id = newId('pty')
        batchIds.push(id)
        const details = {
          names: [{ value: name, kind: 'legal' }],
          nationalities: [],
          addresses: [],
          identifiers: [],
        }
        return cipher.encrypt(
          tenant,
          { table: 'parties', column: 'details_ct', row: id },
          JSON.stringify(details),
        )
      }),
    )
    ids.push(...batchIds)
    await sql`INSERT INTO parties (tenant_id, party_id, kind, roles, status, details_ct, products, risk_level, risk_score,
      risk_reasons, screening_status, version, created_at, updated_at)
      SELECT ${tenant}, u.id, 'person', ARRAY['customer'], 'active', u.ct, ARRAY[]::text[], 'low', 0, '[]'::jsonb,
        'clear', 1, now(), now()
      FROM unnest(${batchIds}::text[], ${cts}::bytea[]) AS u(id, ct)`.execute(db)
    onProgress?.(i + batchIds.length)
  }
  return ids
}

/** `count` sandbox card payments, set-based: ids, amounts, customers and gateway references derived from i. */
export async function insertPaymentsSetBased(db: Db, tenant: string, count: number): Promise<void> {
  const STEP = 250_000
  for (let lo = 0; lo < count; lo += STEP) {
    await sql`INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
        customer, gateway, gateway_ref, created_at, updated_at)
      SELECT ${tenant}, 'pay_' || substr(md5(${tenant} || i), 1, 24), 'succeeded', 100 + (hashint4(i) & 65535),
        'EUR', 'automatic', CASE WHEN i % 2 = 0 THEN 'pm_card_visa' ELSE 'pm_card_mastercard' END, 'cus_' || i,
        'sandbox', 'ch_' || substr(md5('ch' || ${tenant} || i), 1, 12), now(), now()
      FROM generate_series(${lo + 1}::int, ${Math.min(count, lo + STEP)}::int) AS i`.execute(db)
  }
}

interface IndexDef {
  readonly name: string
  readonly definition: string
}

/** The secondary indexes of search_documents as PostgreSQL holds them (not the primary key). */
export async function searchIndexDefinitions(db: Db): Promise<IndexDef[]> {
  const r = await sql<{ indexname: string; indexdef: string }>`
    SELECT indexname, indexdef FROM pg_indexes
    WHERE tablename = 'search_documents' AND indexname <> 'search_documents_pkey'`.execute(db)
  return r.rows.map((x) => ({ name: x.indexname, definition: x.indexdef }))
}

/** Runs `load` with the secondary indexes dropped, then builds them again (one sort each). */
export async function withIndexesDropped<T>(
  db: Db,
  load: () => Promise<T>,
  log: (s: string) => void = () => {},
): Promise<T> {
  const defs = await searchIndexDefinitions(db)
  for (const d of defs) await sql`DROP INDEX IF EXISTS ${sql.id(d.name)}`.execute(db)
  try {
    return await load()
  } finally {
    log(`building ${defs.length} indexes again`)
    const t = performance.now()
    for (const d of defs)
      await db.transaction().execute(async (tx) => {
        await sql`SELECT set_config('maintenance_work_mem', '512MB', true)`.execute(tx)
        await sql.raw(d.definition).execute(tx)
      })
    log(`indexes built in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
}

/**
 * The payments' documents, set-based: the same fields `paymentDocument` gives a sandbox card payment
 * with no description or metadata (the only kind `insertPaymentsSetBased` writes), amount keys
 * included (the amount as shown, "12.50" → 1250, and a whole one as typed, "99"). `sampleMatches`
 * checks that claim against the indexer's own builder.
 */
export async function projectPaymentsSetBased(db: Db, tenant: string, indexedAt: Date): Promise<number> {
  const r = await sql`INSERT INTO search_documents (tenant_id, doc_type, doc_id, title, body, sealed, keys,
      occurred_at, amount, currency, attributes, indexed_at)
    SELECT p.tenant_id, 'payment', p.payment_id,
      concat_ws(' · ', p.payment_id, (p.amount / 100) || '.' || lpad((p.amount % 100)::text, 2, '0') || ' ' || p.currency,
        c.brand || ' •••• ' || c.last4, p.customer, p.gateway_ref),
      unaccent(lower(concat_ws(' ', p.payment_id, p.customer, p.gateway_ref, c.brand, c.last4))),
      '{}'::bigint[],
      ARRAY(SELECT DISTINCT ON (k) k FROM unnest(ARRAY[upper(replace(p.payment_id, '_', '')), c.last4,
        upper(replace(p.gateway_ref, '_', '')), upper(replace(p.customer, '_', '')), p.amount::text,
        CASE WHEN p.amount % 100 = 0 THEN (p.amount / 100)::text END]) WITH ORDINALITY AS u(k, n)
        WHERE k IS NOT NULL ORDER BY k, n),
      p.created_at, p.amount, p.currency, jsonb_build_object('status', p.status, 'gateway', p.gateway), ${indexedAt}
    FROM payments p
    JOIN (VALUES ('pm_card_visa', 'visa', '4242'), ('pm_card_mastercard', 'mastercard', '4444')) AS c(method, brand, last4)
      ON c.method = p.payment_method
    WHERE p.tenant_id = ${tenant}`.execute(db)
  return Number(r.numAffectedRows ?? 0n)
}

/** Whether the stored documents of these ids equal what a source builds for them (keys compared as sets). */
export async function sampleMatches(
  engineDocs: (
    ids: readonly string[],
  ) => Promise<Map<string, { title: string; body: string; keys: string[] }>>,
  built: readonly { id: string; title: string; body: string; keys: readonly string[] }[],
): Promise<string[]> {
  const stored = await engineDocs(built.map((b) => b.id))
  const differences: string[] = []
  for (const b of built) {
    const s = stored.get(b.id)
    const same =
      s !== undefined &&
      s.title === b.title &&
      s.body === b.body &&
      [...s.keys].sort().join(',') === [...b.keys].sort().join(',')
    // Built documents carry bigint amounts, which JSON.stringify refuses.
    const text = (x: unknown) =>
      JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
    if (!same) differences.push(`${b.id}: stored ${text(s)} built ${text(b)}`)
  }
  return differences
}
