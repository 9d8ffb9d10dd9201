import type { DuckDBInstance } from '@duckdb/node-api'
import { sql } from 'kysely'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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

/** Converts a dataset's CSV files into Parquet partitioned by tenant and day, files named after the round. */
export async function csvToParquet(
  duck: DuckDBInstance,
  d: Dataset,
  csvDir: string,
  outDir: string,
  round: bigint,
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
    await conn.run(`
      COPY (
        SELECT tenant_id, strftime(make_timestamp(${day}), '%Y-%m-%d') AS day, ${select.join(', ')}
        FROM read_csv([${list}], header = false, delim = ',', quote = '"', escape = '"',
                      allow_quoted_nulls = false, columns = {${csvColumns.join(', ')}})
      ) TO '${outDir.replaceAll("'", "''")}'
      (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (tenant_id, day), FILENAME_PATTERN 'run-${round}_{i}', OVERWRITE_OR_IGNORE)`)
  } finally {
    conn.closeSync()
  }
}
