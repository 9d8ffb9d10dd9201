import type { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import type { Db } from '../../shared/db/connect.js'
import { duckType, parquetColumns, type Column, type Dataset } from './datasets.js'

/**
 * PostgreSQL renders each row as one CSV line (one text value per chunk crosses the wire, instead of
 * thousands of parsed rows); DuckDB reads the CSV files and writes partitioned Parquet. Instants
 * travel as integer microseconds since the epoch, so no time zone or format can differ.
 */
function csvField(c: Column): string {
  const e = /^\w+$/.test(c.source) ? `s.${c.source}` : `(${c.source})`
  switch (c.type) {
    case 'text':
      return `coalesce('"' || replace(${e}::text, '"', '""') || '"', '')`
    case 'timestamp':
      return `coalesce((extract(epoch FROM ${e}) * 1000000)::bigint::text, '')`
    case 'bigint':
    case 'int':
    case 'double': // float8 text output is the shortest exact form (PostgreSQL 12+)
      return `coalesce(${e}::text, '')`
  }
}

function chunkSql(d: Dataset): string {
  const fields = [`'"' || replace(s.tenant_id, '"', '""') || '"'`, ...parquetColumns(d).map(csvField)]
  return `SELECT string_agg(${fields.join(` || ',' || `)}, E'\\n') AS csv, count(*) AS n
    FROM ${d.table} s WHERE s.analytics_seq > $1 AND s.analytics_seq <= $2`
}

/**
 * The same rows for `COPY … TO STDOUT (FORMAT csv)`: PostgreSQL's own CSV writer quotes and escapes,
 * so a field costs no string expression. Its NULL is an unquoted empty field and an empty string a
 * quoted one — what read_csv(allow_quoted_nulls = false) tells apart. Instants as epoch microseconds.
 */
function copySelect(d: Dataset, lo: bigint, hi: bigint): string {
  const fields = parquetColumns(d).map((c) => {
    const e = /^\w+$/.test(c.source) ? `s.${c.source}` : `(${c.source})`
    return c.type === 'timestamp' ? `(extract(epoch FROM ${e}) * 1000000)::bigint` : e
  })
  return `SELECT s.tenant_id, ${fields.join(', ')} FROM ${d.table} s
    WHERE s.analytics_seq > ${lo} AND s.analytics_seq <= ${hi}`
}

/**
 * Reads (from, to] of one dataset into CSV files streamed by `COPY (SELECT …) TO STDOUT` on a server
 * (PGlite has no COPY TO STDOUT; it takes readToCsv): rows go from the backend to disk without being
 * parsed or held in memory. Chunks of seq values, as readToCsv, so a crash between them is resumable.
 */
export async function copyToCsv(
  pool: pg.Pool,
  d: Dataset,
  range: { readonly from: bigint; readonly to: bigint; readonly span: bigint },
  csvDir: string,
  onChunk?: (rows: number) => void,
): Promise<number> {
  await mkdir(csvDir, { recursive: true })
  let rows = 0
  const client = await pool.connect()
  try {
    for (let lo = range.from; lo < range.to; lo += range.span) {
      const hi = lo + range.span < range.to ? lo + range.span : range.to
      const stream = client.query(copyTo(`COPY (${copySelect(d, lo, hi)}) TO STDOUT (FORMAT csv)`))
      const file = join(csvDir, `${lo}.csv`)
      await pipeline(stream, createWriteStream(file))
      // an empty file would give read_csv nothing to sniff; csvToParquet skips a dataset without files
      if (stream.rowCount === 0) await rm(file)
      rows += stream.rowCount
      onChunk?.(stream.rowCount)
    }
  } finally {
    client.release()
  }
  return rows
}

/** Reads (from, to] of one dataset into CSV files under `csvDir`, chunk by chunk of seq values; returns the row count. */
export async function readToCsv(
  db: Db,
  d: Dataset,
  range: { readonly from: bigint; readonly to: bigint; readonly span: bigint },
  csvDir: string,
  onChunk?: (rows: number) => void,
): Promise<number> {
  await mkdir(csvDir, { recursive: true })
  const text = chunkSql(d)
  let rows = 0
  for (let lo = range.from; lo < range.to; lo += range.span) {
    const hi = lo + range.span < range.to ? lo + range.span : range.to
    const r = await sql<{
      csv: string | null
      n: bigint
    }>`${sql.raw(text.replace('$1', lo.toString()).replace('$2', hi.toString()))}`.execute(db)
    const { csv, n } = r.rows[0]!
    if (csv) {
      await writeFile(join(csvDir, `${lo}.csv`), csv + '\n')
      rows += Number(n)
    }
    onChunk?.(Number(n))
  }
  return rows
}

/**
 * Converts a dataset's CSV files into Parquet partitioned by tenant and day, files named after the
 * round and the staging attempt (`run-<round>_<attempt><i>`, attempt of fixed width): a round staged
 * twice never gives two different files one name, so a mirror's stale copy is never taken for the
 * new one (ADR 1201).
 */
export async function csvToParquet(
  duck: DuckDBInstance,
  d: Dataset,
  csvDir: string,
  outDir: string,
  round: bigint,
  attempt = '',
): Promise<void> {
  const files = (await readdir(csvDir)).filter((f) => f.endsWith('.csv'))
  if (files.length === 0) return
  const cols = parquetColumns(d)
  const csvColumns = [
    `'tenant_id': 'VARCHAR'`,
    ...cols.map((c) => `'${c.name}': '${c.type === 'timestamp' ? 'BIGINT' : duckType(c.type)}'`),
  ]
  const select = cols.map((c) => (c.type === 'timestamp' ? `make_timestamp(${c.name}) AS ${c.name}` : c.name))
  const day = cols.find((c) => c.source === d.dayOf || c.name === d.dayOf)!.name
  const list = files.map((f) => `'${join(csvDir, f).replaceAll("'", "''")}'`).join(', ')
  await mkdir(outDir, { recursive: true })
  const conn = await duck.connect()
  try {
    // Row order inside a day file means nothing (readers order explicitly; compaction sorts): let
    // DuckDB's threads write partitions without keeping the CSV's order.
    await conn.run('SET preserve_insertion_order = false')
    // DuckDB's Parquet writer is most of the export's CPU (docs/benchmarks.md, analytics, session 9):
    // the day files are LZ4, cheaper to write than zstd (compaction rewrites them as zstd; until then
    // they are ~1.8× larger), and the day is a DATE cast rather than strftime — the same
    // `day=yyyy-mm-dd` directory (readers take no value from the path: hive_partitioning = false).
    await conn.run(`
      COPY (
        SELECT tenant_id, CAST(make_timestamp(${day}) AS DATE) AS day, ${select.join(', ')}
        FROM read_csv([${list}], header = false, delim = ',', quote = '"', escape = '"',
                      allow_quoted_nulls = false, columns = {${csvColumns.join(', ')}})
      ) TO '${outDir.replaceAll("'", "''")}'
      (FORMAT parquet, COMPRESSION lz4_raw, PARTITION_BY (tenant_id, day), FILENAME_PATTERN 'run-${round}_${attempt}{i}', OVERWRITE_OR_IGNORE)`)
  } finally {
    conn.closeSync()
  }
}
