import { countryCode } from '../countries.js'
import { ListFormatError } from '../screening.errors.js'
import type { EntryIdentifier, EntryName, ListEntry, ParsedList } from '../screening.js'
import { asArray, child, parseXml, text, type XmlNode } from './xml.js'

const ARRAYS = new Set([
  'INDIVIDUAL',
  'ENTITY',
  'INDIVIDUAL_ALIAS',
  'ENTITY_ALIAS',
  'INDIVIDUAL_DATE_OF_BIRTH',
  'INDIVIDUAL_DOCUMENT',
  'INDIVIDUAL_ADDRESS',
  'ENTITY_ADDRESS',
  'NATIONALITY',
  'VALUE',
  'INDIVIDUAL_PLACE_OF_BIRTH',
])

const pad = (s: string): string => s.padStart(2, '0')

function values(node: XmlNode, name: string): string[] {
  const out: string[] = []
  for (const n of asArray(node[name])) for (const v of asArray(n.VALUE)) if (text(v)) out.push(text(v)!)
  return out
}

function dobs(ind: XmlNode): string[] {
  const out: string[] = []
  for (const d of asArray(ind.INDIVIDUAL_DATE_OF_BIRTH)) {
    const date = text(d.DATE)
    const year = text(d.YEAR)
    const from = text(d.FROM_YEAR)
    const to = text(d.TO_YEAR)
    if (date) {
      const r = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(date)
      if (r) out.push(`${r[1]}-${pad(r[2]!)}-${pad(r[3]!)}`)
    } else if (year && /^\d{4}$/.test(year)) out.push(year)
    else if (from && to && /^\d{4}$/.test(from) && /^\d{4}$/.test(to)) out.push(`${from}/${to}`)
  }
  return out
}

function addCountry(set: Set<string>, name: string | undefined): void {
  const c = countryCode(name)
  if (c) set.add(c)
}

/** UN Security Council Consolidated List XML (sc-sanctions.xsd). */
export function parseUnXml(xml: string, file = 'un.xml'): ParsedList {
  const doc = parseXml(xml, file, ARRAYS)
  const root = child(doc, 'CONSOLIDATED_LIST')
  if (!root) throw new ListFormatError(file, 'root element', 'expected <CONSOLIDATED_LIST>')
  const entries: ListEntry[] = []
  const seen = new Set<string>()
  const collect = (node: XmlNode, kind: 'INDIVIDUAL' | 'ENTITY', i: number): void => {
    const key = text(node.DATAID)
    const where = `<${kind}> #${i + 1}${key ? ` (DATAID ${key})` : ''}`
    if (!key) throw new ListFormatError(file, where, 'missing <DATAID>')
    if (seen.has(key)) throw new ListFormatError(file, where, `duplicate DATAID ${key}`)
    seen.add(key)
    const parts = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME']
      .map((k) => text(node[k]))
      .filter(Boolean)
    if (parts.length === 0) throw new ListFormatError(file, where, 'no <FIRST_NAME>')
    const names: EntryName[] = [{ name: parts.join(' '), kind: 'primary' }]
    const original = text(node.NAME_ORIGINAL_SCRIPT)
    if (original) names.push({ name: original, kind: 'original_script' })
    for (const a of asArray(node[`${kind}_ALIAS`])) {
      const n = text(a.ALIAS_NAME)
      if (!n) continue
      const quality = (text(a.QUALITY) ?? '').toLowerCase()
      names.push({ name: n, kind: quality === 'low' ? 'weak_alias' : 'alias' })
    }
    const countries = new Set<string>()
    for (const n of values(node, 'NATIONALITY')) addCountry(countries, n)
    for (const a of asArray(node[`${kind}_ADDRESS`])) addCountry(countries, text(a.COUNTRY))
    const identifiers: EntryIdentifier[] = []
    for (const d of asArray(node.INDIVIDUAL_DOCUMENT)) {
      const num = text(d.NUMBER)
      if (!num) continue
      const c = countryCode(text(d.ISSUING_COUNTRY) ?? text(d.COUNTRY_OF_ISSUE))
      identifiers.push({
        type: text(d.TYPE_OF_DOCUMENT) ?? 'document',
        value: num,
        ...(c ? { country: c } : {}),
      })
    }
    const listType = text(node.UN_LIST_TYPE)
    const comments = text(node.COMMENTS1)
    entries.push({
      listId: 'un',
      key,
      type: kind === 'INDIVIDUAL' ? 'person' : 'entity',
      names,
      dobs: kind === 'INDIVIDUAL' ? dobs(node) : [],
      countries: [...countries],
      identifiers,
      cryptoAddresses: [],
      programs: listType ? [listType] : [],
      ...(comments ? { remarks: comments } : {}),
    })
  }
  asArray(child(root, 'INDIVIDUALS')?.INDIVIDUAL).forEach((n, i) => collect(n, 'INDIVIDUAL', i))
  asArray(child(root, 'ENTITIES')?.ENTITY).forEach((n, i) => collect(n, 'ENTITY', i))
  return { listId: 'un', format: 'un-xml', entries, warnings: [] }
}
