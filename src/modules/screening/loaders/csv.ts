import { ListFormatError } from '../screening.errors.js'

export interface CsvRow {
  readonly line: number
  readonly cells: string[]
}

/**
 * RFC 4180 CSV with the quirks of the official files: CRLF or LF, a trailing 0x1A (DOS EOF),
 * a BOM, and OFAC's `-0-` for null (left to the caller). An unterminated quote is an error
 * naming the line where the field started.
 */
export function parseCsv(text: string, file: string): CsvRow[] {
  let s = text
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1)
  // DOS end-of-file marker (0x1A) that OFAC appends.
  while (s.length > 0 && (s.charCodeAt(s.length - 1) === 0x1a || /\s/.test(s[s.length - 1]!)))
    s = s.slice(0, -1)
  if (s.length > 0) s += '\n'
  const rows: CsvRow[] = []
  let cells: string[] = []
  let field = ''
  let line = 1
  let rowLine = 1
  let i = 0
  let inQuotes = false
  let quoteStart = 0
  let fieldStarted = false
  const n = s.length
  while (i < n) {
    const ch = s[i]!
    if (inQuotes) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        inQuotes = false
        i++
        continue
      }
      if (ch === '\n') line++
      field += ch
      i++
      continue
    }
    if (ch === '"' && !fieldStarted) {
      inQuotes = true
      quoteStart = line
      fieldStarted = true
      i++
      continue
    }
    if (ch === ',') {
      cells.push(field)
      field = ''
      fieldStarted = false
      i++
      continue
    }
    if (ch === '\r' || ch === '\n') {
      cells.push(field)
      if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells })
      cells = []
      field = ''
      fieldStarted = false
      if (ch === '\r' && s[i + 1] === '\n') i++
      i++
      line++
      rowLine = line
      continue
    }
    if (ch === '"') {
      throw new ListFormatError(file, `line ${line}`, 'a quote inside an unquoted field')
    }
    field += ch
    // Text after a closing quote (`"abc" ,`) is tolerated: OFAC pads `-0- ` with a space.
    fieldStarted = true
    i++
  }
  if (inQuotes) throw new ListFormatError(file, `line ${quoteStart}`, 'a quoted field is never closed')
  if (fieldStarted || cells.length > 0) {
    cells.push(field)
    rows.push({ line: rowLine, cells })
  }
  return rows
}

/** OFAC writes null as `-0-` (often with a trailing space). */
export function ofacValue(cell: string | undefined): string | undefined {
  if (cell === undefined) return undefined
  const v = cell.trim()
  return v === '' || v === '-0-' ? undefined : v
}
