import { countryCode } from '../countries.js'
import type { SubjectType } from '../normalize.js'
import { ListFormatError } from '../screening.errors.js'
import type { EntryIdentifier, EntryName, ListEntry, ParsedList } from '../screening.js'
import { parseCsv } from './csv.js'
import { parseDateText } from './remarks.js'

const REQUIRED = ['_id', 'source', 'type', 'name', 'alt_names'] as const

function cslType(t: string | undefined): SubjectType {
  switch ((t ?? '').toLowerCase()) {
    case 'individual':
      return 'person'
    case 'entity':
      return 'entity'
    case 'vessel':
      return 'vessel'
    case 'aircraft':
      return 'aircraft'
    default:
      return 'unknown'
  }
}

/** US Consolidated Screening List (trade.gov) CSV, with header; lists are separated by ';'. */
export function parseCslCsv(csv: string, file = 'consolidated.csv'): ParsedList {
  const rows = parseCsv(csv, file)
  const header = rows[0]
  if (!header) throw new ListFormatError(file, 'line 1', 'the file is empty')
  const col = new Map(header.cells.map((h, i) => [h.trim(), i]))
  for (const r of REQUIRED)
    if (!col.has(r)) throw new ListFormatError(file, 'line 1', `missing column "${r}"`)
  const get = (cells: string[], name: string): string => {
    const i = col.get(name)
    return i === undefined ? '' : (cells[i] ?? '').trim()
  }
  const split = (s: string): string[] =>
    s
      .split(';')
      .map((x) => x.trim())
      .filter(Boolean)
  const entries: ListEntry[] = []
  const seen = new Set<string>()
  for (const row of rows.slice(1)) {
    if (row.cells.length !== header.cells.length) {
      throw new ListFormatError(
        file,
        `line ${row.line}`,
        `expected ${header.cells.length} columns, found ${row.cells.length}`,
      )
    }
    const key = get(row.cells, '_id')
    const name = get(row.cells, 'name')
    if (!key) throw new ListFormatError(file, `line ${row.line}`, 'empty _id')
    if (!name) throw new ListFormatError(file, `line ${row.line}`, 'empty name')
    if (seen.has(key)) continue
    seen.add(key)
    const names: EntryName[] = [{ name, kind: 'primary' }]
    for (const a of split(get(row.cells, 'alt_names'))) names.push({ name: a, kind: 'alias' })
    const countries = new Set<string>()
    for (const c of [...split(get(row.cells, 'nationalities')), ...split(get(row.cells, 'citizenships'))]) {
      const cc = countryCode(c)
      if (cc) countries.add(cc)
    }
    const identifiers: EntryIdentifier[] = []
    for (const id of split(get(row.cells, 'ids'))) {
      // "Passport, A123, IR, 2010-01-01, …"
      const [type, value, country] = id.split(',').map((x) => x.trim())
      const cc = countryCode(country)
      if (type && value) identifiers.push({ type, value, ...(cc ? { country: cc } : {}) })
    }
    const source = get(row.cells, 'source')
    entries.push({
      listId: 'us_csl',
      key,
      type: cslType(get(row.cells, 'type')),
      names,
      dobs: split(get(row.cells, 'dates_of_birth')).flatMap(parseDateText),
      countries: [...countries],
      identifiers,
      cryptoAddresses: [],
      programs: [source, ...split(get(row.cells, 'programs'))].filter(Boolean),
    })
  }
  return { listId: 'us_csl', format: 'csl-csv', entries, warnings: [] }
}
