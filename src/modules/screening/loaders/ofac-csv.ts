import type { SubjectType } from '../normalize.js'
import { countryCode } from '../countries.js'
import { ListFormatError } from '../screening.errors.js'
import type { EntryName, ListEntry, ListId, ParsedList } from '../screening.js'
import { ofacValue, parseCsv } from './csv.js'
import { parseRemarks } from './remarks.js'

/** The four files of the OFAC legacy CSV format; only the primary file is required. */
export interface OfacCsvFiles {
  /** sdn.csv or cons_prim.csv */
  readonly primary: { readonly name: string; readonly text: string }
  readonly alt?: { readonly name: string; readonly text: string }
  readonly add?: { readonly name: string; readonly text: string }
  readonly comments?: { readonly name: string; readonly text: string }
}

function ofacType(raw: string | undefined): SubjectType {
  switch (raw?.toLowerCase() ?? '') {
    case 'individual':
      return 'person'
    case 'vessel':
      return 'vessel'
    case 'aircraft':
      return 'aircraft'
    default:
      return 'entity'
  }
}

function entNum(cell: string | undefined, file: string, line: number): string {
  const v = cell?.trim() ?? ''
  if (!/^\d+$/.test(v)) throw new ListFormatError(file, `line ${line}`, `ent_num "${v}" is not a number`)
  return v
}

interface Draft {
  key: string
  type: SubjectType
  names: EntryName[]
  programs: string[]
  remarks: string
  countries: Set<string>
}

/**
 * OFAC legacy CSV (SDN: sdn/add/alt/sdn_comments; Consolidated: cons_prim/cons_add/cons_alt/
 * cons_comments). No header, 12 columns in the primary file, `-0-` for null.
 */
export function parseOfacCsv(files: OfacCsvFiles, listId: ListId = 'ofac_sdn'): ParsedList {
  const warnings: string[] = []
  const drafts = new Map<string, Draft>()
  const p = files.primary
  for (const row of parseCsv(p.text, p.name)) {
    if (row.cells.length !== 12) {
      throw new ListFormatError(p.name, `line ${row.line}`, `expected 12 columns, found ${row.cells.length}`)
    }
    const key = entNum(row.cells[0], p.name, row.line)
    const name = ofacValue(row.cells[1])
    if (!name) throw new ListFormatError(p.name, `line ${row.line}`, 'the name (column 2) is empty')
    const type = ofacType(ofacValue(row.cells[2]))
    const vesselFlag = ofacValue(row.cells[9])
    const countries = new Set<string>()
    const flag = vesselFlag ? countryCode(vesselFlag) : undefined
    if (flag) countries.add(flag)
    drafts.set(key, {
      key,
      type,
      names: [{ name, kind: 'primary' }],
      programs: (ofacValue(row.cells[3]) ?? '')
        .split(/\]\s*\[|[[\]]|\s+/)
        .map((s) => s.trim())
        .filter(Boolean),
      remarks: ofacValue(row.cells[11]) ?? '',
      countries,
    })
  }
  if (files.comments) {
    for (const row of parseCsv(files.comments.text, files.comments.name)) {
      if (row.cells.length < 2)
        throw new ListFormatError(files.comments.name, `line ${row.line}`, 'expected 2 columns')
      const key = entNum(row.cells[0], files.comments.name, row.line)
      const d = drafts.get(key)
      const more = ofacValue(row.cells[1])
      if (d && more) d.remarks += more
    }
  }
  if (files.alt) {
    let orphans = 0
    for (const row of parseCsv(files.alt.text, files.alt.name)) {
      if (row.cells.length !== 5) {
        throw new ListFormatError(
          files.alt.name,
          `line ${row.line}`,
          `expected 5 columns, found ${row.cells.length}`,
        )
      }
      const key = entNum(row.cells[0], files.alt.name, row.line)
      const name = ofacValue(row.cells[3])
      const d = drafts.get(key)
      if (!d) {
        orphans++
        continue
      }
      if (!name) continue
      const remark = (ofacValue(row.cells[4]) ?? '').toLowerCase()
      d.names.push({ name, kind: remark.includes('weak') ? 'weak_alias' : 'alias' })
    }
    if (orphans > 0)
      warnings.push(`${files.alt.name}: ${orphans} aliases of entries absent from ${p.name} were skipped`)
  }
  if (files.add) {
    for (const row of parseCsv(files.add.text, files.add.name)) {
      if (row.cells.length !== 6) {
        throw new ListFormatError(
          files.add.name,
          `line ${row.line}`,
          `expected 6 columns, found ${row.cells.length}`,
        )
      }
      const key = entNum(row.cells[0], files.add.name, row.line)
      const d = drafts.get(key)
      const c = countryCode(ofacValue(row.cells[4]))
      if (d && c) d.countries.add(c)
    }
  }
  const entries: ListEntry[] = []
  for (const d of drafts.values()) {
    const facts = parseRemarks(d.remarks)
    for (const c of facts.countries) d.countries.add(c)
    // Weak aliases ("a.k.a. 'BNC'") live only in the remarks, in single quotes.
    for (const m of d.remarks.matchAll(/(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'([^']+)'/g)) {
      d.names.push({ name: m[1]!, kind: 'weak_alias' })
    }
    entries.push({
      listId,
      key: d.key,
      type: d.type,
      names: d.names,
      dobs: facts.dobs,
      countries: [...d.countries],
      identifiers: facts.identifiers,
      cryptoAddresses: facts.cryptoAddresses,
      programs: d.programs,
      ...(d.remarks ? { remarks: d.remarks } : {}),
    })
  }
  return { listId, format: listId === 'ofac_cons' ? 'ofac-cons-csv' : 'ofac-csv', entries, warnings }
}
