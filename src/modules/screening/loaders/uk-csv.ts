import { countryCode } from '../countries.js'
import type { SubjectType } from '../normalize.js'
import { ListFormatError } from '../screening.errors.js'
import type { EntryIdentifier, EntryName, ListEntry, ParsedList } from '../screening.js'
import { parseCsv } from './csv.js'

const REQUIRED = ['Name 6', 'Name 1', 'Group Type', 'Group ID'] as const

function groupType(s: string): SubjectType {
  switch (s.toLowerCase()) {
    case 'individual':
      return 'person'
    case 'entity':
      return 'entity'
    case 'ship':
      return 'vessel'
    default:
      return 'unknown'
  }
}

/** "dd/mm/yyyy" with 00 for unknown parts → "yyyy-mm-dd" | "yyyy-mm" | "yyyy". */
function ukDate(s: string): string | undefined {
  const r = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s.trim())
  if (!r) return undefined
  const [, d, m, y] = r
  if (m === '00') return y
  if (d === '00') return `${y}-${m}`
  return `${y}-${m}-${d}`
}

/** "(1) Iraq (2) Syria" or "Iraq" → ISO codes. */
function countries(s: string): string[] {
  return s
    .split(/\(\d+\)/)
    .map((x) => countryCode(x.trim().replace(/[,.]$/, '')))
    .filter((c): c is string => !!c)
}

interface Draft {
  key: string
  type: SubjectType
  names: EntryName[]
  dobs: Set<string>
  countries: Set<string>
  identifiers: EntryIdentifier[]
  programs: Set<string>
}

/**
 * UK consolidated list (OFSI "ConList.csv"): one row per name, rows of one designation share a
 * Group ID; "Name 6" is the surname (or the entity's whole name). An optional first line
 * "Last Updated,dd/mm/yyyy" precedes the header.
 */
export function parseUkCsv(csv: string, file = 'ConList.csv'): ParsedList {
  const rows = parseCsv(csv, file)
  const headerAt = rows.findIndex((r) => r.cells.some((c) => c.trim() === 'Group ID'))
  if (headerAt < 0 || headerAt > 1) throw new ListFormatError(file, 'line 1', 'no header row with "Group ID"')
  const header = rows[headerAt]!
  const col = new Map(header.cells.map((h, i) => [h.trim(), i]))
  for (const r of REQUIRED)
    if (!col.has(r)) throw new ListFormatError(file, `line ${header.line}`, `missing column "${r}"`)
  const get = (cells: string[], name: string): string => (cells[col.get(name) ?? -1] ?? '').trim()
  const drafts = new Map<string, Draft>()
  for (const row of rows.slice(headerAt + 1)) {
    if (row.cells.length !== header.cells.length) {
      throw new ListFormatError(
        file,
        `line ${row.line}`,
        `expected ${header.cells.length} columns, found ${row.cells.length}`,
      )
    }
    const key = get(row.cells, 'Group ID')
    if (!/^\d+$/.test(key))
      throw new ListFormatError(file, `line ${row.line}`, `Group ID "${key}" is not a number`)
    const surname = get(row.cells, 'Name 6')
    const given = ['Name 1', 'Name 2', 'Name 3', 'Name 4', 'Name 5']
      .map((n) => get(row.cells, n))
      .filter(Boolean)
    if (!surname && given.length === 0)
      throw new ListFormatError(file, `line ${row.line}`, 'no name in Name 1…Name 6')
    const type = groupType(get(row.cells, 'Group Type'))
    let d = drafts.get(key)
    if (!d) {
      d = {
        key,
        type,
        names: [],
        dobs: new Set(),
        countries: new Set(),
        identifiers: [],
        programs: new Set(),
      }
      drafts.set(key, d)
    }
    const full = given.length > 0 && surname ? `${surname}, ${given.join(' ')}` : surname || given.join(' ')
    const aliasType = get(row.cells, 'Alias Type').toLowerCase()
    const kind =
      aliasType.startsWith('primary name') && !aliasType.includes('variation')
        ? 'primary'
        : get(row.cells, 'Alias Quality').toLowerCase() === 'low'
          ? 'weak_alias'
          : 'alias'
    if (kind === 'primary') d.names.unshift({ name: full, kind })
    else d.names.push({ name: full, kind })
    const nonLatin = get(row.cells, 'Name Non-Latin Script')
    if (nonLatin) d.names.push({ name: nonLatin, kind: 'original_script' })
    const dob = ukDate(get(row.cells, 'DOB'))
    if (dob) d.dobs.add(dob)
    for (const c of [...countries(get(row.cells, 'Nationality')), ...countries(get(row.cells, 'Country'))])
      d.countries.add(c)
    const passport = get(row.cells, 'Passport Number')
    if (passport) d.identifiers.push({ type: 'passport', value: passport })
    const nid = get(row.cells, 'National Identification Number')
    if (nid) d.identifiers.push({ type: 'national_id', value: nid })
    const regime = get(row.cells, 'Regime')
    if (regime) d.programs.add(regime)
  }
  const entries: ListEntry[] = [...drafts.values()].map((d) => ({
    listId: 'uk',
    key: d.key,
    type: d.type,
    names: d.names,
    dobs: [...d.dobs],
    countries: [...d.countries],
    identifiers: d.identifiers,
    cryptoAddresses: [],
    programs: [...d.programs],
  }))
  return { listId: 'uk', format: 'uk-csv', entries, warnings: [] }
}
