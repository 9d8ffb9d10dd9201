import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { SearchEngine } from '../engine.js'
import type { Candidate, EngineQuery, SearchDocument, SearchType } from '../search.js'
import { searchError } from '../search.errors.js'

/**
 * The default engine: PostgreSQL (a server or PGlite) with pg_trgm (typos: word similarity over the
 * trigram index of the body's words, identifiers left out: migration 1101), full-text `simple` prefixes, unaccent (folding on both sides), fuzzystrmatch
 * (identifiers one edit away rank high), and GIN array indexes for exact keys and sealed tokens.
 */

/** Word similarity at which a body matches (pg_trgm default 0.6 misses "jon smyth" in "john smith"). */
const WORD_SIMILARITY = 0.45
const UPSERT_BATCH = 1000

/** 16 hex chars → a signed 64-bit integer as decimal text (the column is bigint[]). */
const sealedInt = (hex: string): string => BigInt.asIntN(64, BigInt(`0x${hex}`)).toString()

const bigintArray = (values: readonly string[]): RawBuilder<unknown> =>
  sql`${`{${values.join(',')}}`}::bigint[]`
const textArray = (values: readonly string[]): RawBuilder<unknown> => sql`${values}::text[]`

/** `'piece':*` for every alphanumeric piece of every word, all required. */
function prefixQuery(words: readonly string[]): string {
  const pieces = words.flatMap((w) => w.split(/[^a-z0-9]+/)).filter((p) => p.length > 0)
  return pieces.map((p) => `'${p}':*`).join(' & ')
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

function sealedCondition(groups: readonly (readonly string[])[]): RawBuilder<unknown> | undefined {
  const real = groups.filter((g) => g.length > 0)
  if (real.length === 0) return undefined
  const arrays = real.map((g) => bigintArray(g.map(sealedInt)))
  // Every query word must match when there are one or two; with more, all but one (a stray word
  // such as a city or "ltd" does not hide the party). The union gives the index a single probe.
  if (arrays.length <= 2)
    return sql`(${sql.join(
      arrays.map((a) => sql`sealed && ${a}`),
      sql` AND `,
    )})`
  const union = bigintArray(real.flat().map(sealedInt))
  const hits = sql.join(
    arrays.map((a) => sql`(sealed && ${a})::int`),
    sql` + `,
  )
  return sql`(sealed && ${union} AND ${hits} >= ${arrays.length - 1})`
}

export function createPostgresEngine(db: Db): SearchEngine {
  const fail = (err: unknown): never => {
    throw searchError('SEARCH_ENGINE_UNAVAILABLE', 'postgres', { cause: err })
  }
  return {
    name: 'postgres',
    async init() {},
    async upsert(docs, indexedAt) {
      for (let i = 0; i < docs.length; i += UPSERT_BATCH) {
        const rows = docs.slice(i, i + UPSERT_BATCH).map((d) => ({
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
    },
    async remove(tenantId, type, ids) {
      if (ids.length === 0) return
      await sql`DELETE FROM search_documents WHERE tenant_id = ${tenantId} AND doc_type = ${type}
        AND doc_id = ANY(${textArray(ids)})`
        .execute(db)
        .catch(fail)
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
  const sealed = sealedCondition(q.sealedGroups)
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
  const sealedScore =
    allSealed.length > 0
      ? sql`(SELECT count(*) FROM unnest(sealed) t WHERE t = ANY(${bigintArray(allSealed.map(sealedInt))}))::float8 / ${allSealed.length}`
      : sql`0`
  const upper = q.keys[0] ?? ''
  return sql<Row>`
    SELECT doc_type, doc_id, title, body, keys, occurred_at, amount, currency, attributes,
      GREATEST(
        word_similarity(${text}, body),
        CASE WHEN keys && ${textArray(q.keys)} THEN 2.0
             WHEN EXISTS (SELECT 1 FROM unnest(keys) k WHERE levenshtein_less_equal(k, ${upper}, 1) <= 1) THEN 1.2
             ELSE 0 END,
        CASE WHEN ${sealed ?? sql`false`} THEN 1.0 + ${sealedScore} ELSE 0 END
      ) AS score
    FROM search_documents
    WHERE ${sql.join(filters, sql` AND `)} AND (${sql.join(matches, sql` OR `)})
    ORDER BY score DESC, doc_id
    LIMIT ${q.limit}`
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
