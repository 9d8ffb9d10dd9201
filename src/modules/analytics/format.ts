import type { ResultRow } from './query.service.js'

export type OutputFormat = 'table' | 'csv' | 'json'

/** CSV per RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvLine(values: readonly (string | number | boolean | null)[]): string {
  return values
    .map((v) => {
      const s = v === null ? '' : String(v)
      return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
    })
    .join(',')
}

/** Aligned columns; numbers (integers arrive as strings) right-aligned. */
export function table(rows: readonly ResultRow[]): string {
  if (rows.length === 0) return '(no rows)\n'
  const cols = Object.keys(rows[0]!)
  const cells = rows.map((r) => cols.map((c) => (r[c] === null ? '' : String(r[c]))))
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)))
  const numeric = cols.map((_, i) => cells.every((row) => row[i] === '' || /^-?\d+(\.\d+)?$/.test(row[i]!)))
  const fmt = (row: readonly string[]) =>
    row
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [fmt(cols), fmt(widths.map((w) => '-'.repeat(w))), ...cells.map(fmt)].join('\n') + '\n'
}

/**
 * Writes result batches in `format` as they arrive (a table needs all rows for its widths; CSV and
 * JSON stream). JSON is one array, written element by element.
 */
export async function writeRows(
  batches: AsyncIterable<readonly ResultRow[]>,
  format: OutputFormat,
  write: (text: string) => void,
): Promise<number> {
  let count = 0
  const all: ResultRow[] = []
  for await (const batch of batches) {
    for (const row of batch) {
      if (format === 'table') all.push(row)
      else if (format === 'csv') {
        if (count === 0) write(csvLine(Object.keys(row)) + '\n')
        write(csvLine(Object.values(row)) + '\n')
      } else write((count === 0 ? '[\n' : ',\n') + JSON.stringify(row))
      count++
    }
  }
  if (format === 'table') write(table(all))
  if (format === 'json') write(count === 0 ? '[]\n' : '\n]\n')
  return count
}
