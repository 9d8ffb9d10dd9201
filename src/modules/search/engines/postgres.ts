import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { SearchEngine } from '../engine.js'
import {
  requiredSealedMatches,
  type Candidate,
  type EngineQuery,
  type SearchDocument,
  type SearchType,
} from '../search.js'
import { searchError } from '../search.errors.js'

/**
 * The default engine: PostgreSQL (a server or PGlite) with pg_trgm (typos: word similarity over the
 * trigram index of the body's words, identifiers left out: migration 1101), full-text `simple` prefixes, unaccent (folding on both sides), fuzzystrmatch
 * (identifiers one edit away rank high), and GIN array indexes for exact keys and sealed tokens.
 */

/**
 * Matches scored per query at most (twice: exact key matches, then the rest). Above the service's
 * largest window (MAX_OFFSET + MAX_LIMIT = 1,100 hits) so a page never runs short of candidates.
 */
const CANDIDATE_CAP = 2000
/** Word similarity at which a body matches (pg_trgm default 0.6 misses "jon smyth" in "john smith"). */
const WORD_SIMILARITY = 0.45
const UPSERT_BATCH = 1000
const UPSERT_PARALLEL = 2

/** 16 hex chars → a signed 64-bit integer as decimal text (the column is bigint[]). */
const sealedInt = (hex: string): string => BigInt.asIntN(64, BigInt(`0x${hex}`)).toString()

const bigintArray = (values: readonly string[]): RawBuilder<unknown> =>
  sql`${`{${values.join(',')}}`}::bigint[]`
const textArray = (values: readonly string[]): RawBuilder<unknown> => sql`${values}::text[]`

/**
 * Every alphanumeric piece of every word, all required: the last piece of a word as a prefix
 * (`'123':*`), the pieces before it whole (`'cus'`), since the word goes on after them. A prefix
 * entry is read in full into a bitmap before the AND, and the head of an identifier (`pay`, `cus`,
 * `ch`) starts a token of every such document: as a prefix it read 1M postings per search (p99
 * 2.8 s at 1M payments); whole, the index skips through it to the rare piece's postings.
 */
export function prefixQuery(words: readonly string[]): string {
  return words
    .flatMap((w) => {
      const pieces = w.split(/[^a-z0-9]+/).filter((p) => p.length > 0)
      return pieces.map((p, i) => (i === pieces.length - 1 && !/[^a-z0-9]$/.test(w) ? `'${p}':*` : `'${p}'`))
    })
    .join(' & ')
}

interface Row {
  doc_type: string
  doc_id: string
  title: string
  body: string
  keys: string[]
  occurred_at: Date
  amount: bigint | string | null
  currency: string | null
  attributes: Record<string, string>
  score: number | string
}

function sealedCondition(
  groups: readonly (readonly string[])[],
  minimum: number | undefined,
): RawBuilder<unknown> | undefined {
  const real = groups.filter((g) => g.length > 0)
  if (real.length === 0) return undefined
  const arrays = real.map((g) => bigintArray(g.map(sealedInt)))
  const required = requiredSealedMatches(real.length, minimum)
  if (required === real.length)
    return sql`(${sql.join(
      arrays.map((a) => sql`sealed && ${a}`),
      sql` AND `,
    )})`
  // The union gives the index a single probe; the count keeps the documents matching enough groups.
  const union = bigintArray(real.flat().map(sealedInt))
  const hits = sql.join(
    arrays.map((a) => sql`(sealed && ${a})::int`),
    sql` + `,
  )
  return sql`(sealed && ${union} AND ${hits} >= ${required})`
}

export function createPostgresEngine(db: Db): SearchEngine {
  const fail = (err: unknown): never => {
    throw searchError('SEARCH_ENGINE_UNAVAILABLE', 'postgres', { cause: err })
  }
  async function upsertChunk(chunk: readonly SearchDocument[], indexedAt: Date): Promise<void> {
    const rows = chunk.map((d) => ({
      tenant_id: d.tenantId,
      doc_type: d.type,
      doc_id: d.id,
      title: d.title,
      body: d.body,
      sealed: d.sealed.map(sealedInt),
      keys: d.keys,
      occurred_at: d.occurredAt.toISOString(),
      amount: d.amount === undefined ? null : d.amount.toString(),
      currency: d.currency ?? null,
      attributes: d.attributes,
    }))
    await sql`
        INSERT INTO search_documents AS s (tenant_id, doc_type, doc_id, title, body, sealed, keys,
          occurred_at, amount, currency, attributes, indexed_at)
        SELECT r.tenant_id, r.doc_type, r.doc_id, r.title, unaccent(lower(r.body)), r.sealed, r.keys,
          r.occurred_at, r.amount, r.currency, r.attributes, ${indexedAt}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(tenant_id text, doc_type text,
          doc_id text, title text, body text, sealed bigint[], keys text[], occurred_at timestamptz,
          amount bigint, currency text, attributes jsonb)
        ON CONFLICT (tenant_id, doc_type, doc_id) DO UPDATE SET title = excluded.title,
          body = excluded.body, sealed = excluded.sealed, keys = excluded.keys,
          occurred_at = excluded.occurred_at, amount = excluded.amount, currency = excluded.currency,
          attributes = excluded.attributes, indexed_at = excluded.indexed_at`
      .execute(db)
      .catch(fail)
  }
  return {
    name: 'postgres',
    async init() {},
    async upsert(docs, indexedAt) {
      const chunks: SearchDocument[][] = []
      for (let i = 0; i < docs.length; i += UPSERT_BATCH) chunks.push(docs.slice(i, i + UPSERT_BATCH))
      // Two statements at a time (two pooled connections on a server; PGlite serialises them): each
      // document costs CPU in its index expressions (word filter, trigrams, tsvector) and one backend
      // uses one core. Chunks hold distinct documents, so neither waits on the other's rows.
      for (let i = 0; i < chunks.length; i += UPSERT_PARALLEL)
        await Promise.all(chunks.slice(i, i + UPSERT_PARALLEL).map((c) => upsertChunk(c, indexedAt)))
    },
    async remove(tenantId, type, ids) {
      if (ids.length === 0) return
      await sql`DELETE FROM search_documents WHERE tenant_id = ${tenantId} AND doc_type = ${type}
        AND doc_id = ANY(${textArray(ids)})`
        .execute(db)
        .catch(fail)
    },
    async afterReindex() {
      await sql`ANALYZE search_documents`.execute(db).catch(fail)
    },
    async removeStale(tenantId, type, before) {
      const r = await sql`DELETE FROM search_documents WHERE tenant_id = ${tenantId} AND doc_type = ${type}
        AND indexed_at < ${before}`
        .execute(db)
        .catch(fail)
      return Number(r.numAffectedRows ?? 0n)
    },
    async search(q) {
      const r = await searchSql(q).execute(db).catch(fail)
      return r.rows.map((row) => candidateOf(q.tenantId, row))
    },
    async count(tenantId) {
      const r = await sql<{ doc_type: string; n: string | number | bigint }>`
        SELECT doc_type, count(*) AS n FROM search_documents WHERE tenant_id = ${tenantId} GROUP BY doc_type`
        .execute(db)
        .catch(fail)
      return Object.fromEntries(r.rows.map((x) => [x.doc_type, Number(x.n)]))
    },
    async close() {},
  }
}

function searchSql(q: EngineQuery): RawBuilder<Row> {
  const matches: RawBuilder<unknown>[] = []
  const text = sql`unaccent(lower(${q.text}))`
  // Typos through trigrams of words only (migration 1101): identifiers are matched exactly (`keys`) and by prefix.
  const fuzzy = q.words.filter((w) => !/[0-9_]/.test(w)).join(' ')
  if (fuzzy.length > 0) matches.push(sql`unaccent(lower(${fuzzy})) <% search_fuzzy_text(body)`)
  const prefix = prefixQuery(q.words)
  if (prefix) matches.push(sql`to_tsvector('simple', body) @@ to_tsquery('simple', ${prefix})`)
  if (q.keys.length > 0) matches.push(sql`keys && ${textArray(q.keys)}`)
  const sealed = sealedCondition(q.sealedGroups, q.sealedMinimum)
  if (sealed) matches.push(sealed)
  const filters: RawBuilder<unknown>[] = [
    // The trigram threshold for this statement only, in one round trip (no BEGIN / SET LOCAL / COMMIT):
    // an uncorrelated sub-select runs once as a one-time filter before the scans that read the setting,
    // and `is_local` ends it with the statement's own transaction.
    sql`(SELECT set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY)}, true)) IS NOT NULL`,
    sql`tenant_id = ${q.tenantId}`,
  ]
  if (q.types && q.types.length > 0) filters.push(sql`doc_type = ANY(${textArray(q.types)})`)
  if (q.from) filters.push(sql`occurred_at >= ${q.from}`)
  if (q.to) filters.push(sql`occurred_at < ${q.to}`)
  if (q.amountMin !== undefined) filters.push(sql`amount >= ${q.amountMin.toString()}::bigint`)
  if (q.amountMax !== undefined) filters.push(sql`amount <= ${q.amountMax.toString()}::bigint`)
  if (q.currency) filters.push(sql`currency = ${q.currency}`)
  if (matches.length === 0) matches.push(sql`false`)
  const allSealed = q.sealedGroups.flat()
  const relaxedHits = groupHits(q)
  // A relaxed search ranks by name words matched (as its candidates were kept); a default one by the
  // share of the query's tokens the document holds (closer spellings share more of them).
  const sealedScore = relaxedHits
    ? sql`(${relaxedHits.hits})::float8 / ${relaxedHits.max}`
    : allSealed.length > 0
      ? sql`(SELECT count(*) FROM unnest(sealed) t WHERE t = ANY(${bigintArray(allSealed.map(sealedInt))}))::float8 / ${allSealed.length}`
      : sql`0`
  const upper = q.keys[0] ?? ''
  // Scoring costs a few µs a row (word similarity, key edit distance), so a term shared by half the
  // tenant (a sandbox card's last four) would score every one of them. The candidates are capped:
  // exact key matches first (they outrank everything else), then any other match, each at most
  // CANDIDATE_CAP rows; above the cap, ties and near-ties are ranked among a sample of the matches.
  const where = sql`${sql.join(filters, sql` AND `)} AND (${sql.join(matches, sql` OR `)})`
  const exact =
    q.keys.length > 0
      ? sql`(SELECT * FROM search_documents WHERE ${sql.join(filters, sql` AND `)}
              AND keys && ${textArray(q.keys)} LIMIT ${CANDIDATE_CAP}) UNION `
      : sql``
  return sql<Row>`
    WITH candidates AS MATERIALIZED (
      ${exact}(SELECT * FROM search_documents WHERE ${where} ${relaxedOrder(q)} LIMIT ${CANDIDATE_CAP})
    )
    SELECT doc_type, doc_id, title, body, keys, occurred_at, amount, currency, attributes,
      GREATEST(
        word_similarity(${text}, body),
        CASE WHEN keys && ${textArray(q.keys)} THEN 2.0
             WHEN EXISTS (SELECT 1 FROM unnest(keys) k WHERE levenshtein_less_equal(k, ${upper}, 1) <= 1) THEN 1.2
             ELSE 0 END,
        CASE WHEN ${sealed ?? sql`false`} THEN 1.0 + ${sealedScore} ELSE 0 END
      ) AS score
    FROM candidates
    ORDER BY score DESC, doc_id
    LIMIT ${q.limit}`
}

/**
 * A relaxed search (`sealedMinimum` below the default) can match far more documents than the cap —
 * every party sharing one of several name words — so the cap keeps those matching the most name
 * words rather than any sample of them (the record with two of five query words was cut before).
 * Each group counts once, and once more when the document has the query word exactly (a group's
 * first token, sealQuery): "Mohammad" and "Mohammed" in one query both match every Mohammed, so the
 * plain count ties them with the record holding two other query words exactly.
 */
function groupHits(q: EngineQuery): { hits: RawBuilder<unknown>; max: number } | undefined {
  const real = q.sealedGroups.filter((g) => g.length > 0)
  if (q.sealedMinimum === undefined || real.length < 2) return undefined
  const hits = sql.join(
    real.map(
      (g) =>
        sql`(sealed && ${bigintArray(g.map(sealedInt))})::int + (sealed && ${bigintArray([sealedInt(g[0]!)])})::int`,
    ),
    sql` + `,
  )
  return { hits, max: 2 * real.length }
}

function relaxedOrder(q: EngineQuery): RawBuilder<unknown> {
  const g = groupHits(q)
  return g ? sql`ORDER BY ${g.hits} DESC` : sql``
}

/** The plan PostgreSQL runs for an engine query, executed (EXPLAIN ANALYZE, BUFFERS): for the bench and diagnostics. */
export async function explainSearch(db: Db, q: EngineQuery): Promise<string[]> {
  const r = await sql<{ 'QUERY PLAN': string }>`EXPLAIN (ANALYZE, BUFFERS) ${searchSql(q)}`.execute(db)
  return r.rows.map((x) => x['QUERY PLAN'])
}

function candidateOf(tenantId: string, r: Row): Candidate {
  const doc: SearchDocument = {
    tenantId,
    type: r.doc_type as SearchType,
    id: r.doc_id,
    title: r.title,
    body: r.body,
    sealed: [],
    keys: r.keys,
    occurredAt: new Date(r.occurred_at),
    amount: r.amount === null ? undefined : BigInt(r.amount),
    currency: r.currency ?? undefined,
    attributes: r.attributes,
  }
  return { doc, score: Number(r.score) }
}
