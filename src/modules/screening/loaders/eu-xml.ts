import { countryCode } from '../countries.js'
import { ListFormatError } from '../screening.errors.js'
import type { EntryIdentifier, EntryName, ListEntry, ParsedList } from '../screening.js'
import type { SubjectType } from '../normalize.js'
import { asArray, attr, child, parseXml, text, type XmlNode } from './xml.js'

const ARRAYS = new Set([
  'sanctionEntity',
  'nameAlias',
  'citizenship',
  'birthdate',
  'identification',
  'address',
  'regulation',
])
const pad = (s: string): string => s.padStart(2, '0')

function subjectType(code: string | undefined): SubjectType {
  switch (code ?? '') {
    case 'person':
      return 'person'
    case 'enterprise':
      return 'entity'
    default:
      return 'unknown'
  }
}

function birthdate(b: XmlNode): string | undefined {
  const full = attr(b, 'birthdate')
  if (full && /^\d{4}-\d{2}-\d{2}$/.test(full)) return full
  const y = attr(b, 'year')
  if (!y || !/^\d{4}$/.test(y)) return undefined
  const m = attr(b, 'monthOfYear')
  const d = attr(b, 'dayOfMonth')
  if (m && d) return `${y}-${pad(m)}-${pad(d)}`
  if (m) return `${y}-${pad(m)}`
  return y
}

/** EU Financial Sanctions Files (FSF) XML, format 1.1: <export><sanctionEntity …>. */
export function parseEuXml(xml: string, file = 'eu.xml'): ParsedList {
  const doc = parseXml(xml, file, ARRAYS)
  const root = child(doc, 'export')
  if (!root)
    throw new ListFormatError(file, 'root element', 'expected <export> (EU Financial Sanctions Files XML)')
  const entries: ListEntry[] = []
  asArray(root.sanctionEntity).forEach((e, i) => {
    const key = attr(e, 'logicalId')
    const where = `<sanctionEntity> #${i + 1}${key ? ` (logicalId ${key})` : ''}`
    if (!key) throw new ListFormatError(file, where, 'missing logicalId attribute')
    const names: EntryName[] = []
    for (const a of asArray(e.nameAlias)) {
      const whole =
        attr(a, 'wholeName') ??
        [attr(a, 'firstName'), attr(a, 'middleName'), attr(a, 'lastName')].filter(Boolean).join(' ')
      if (!whole) continue
      names.push({
        name: whole,
        kind: names.length === 0 ? 'primary' : attr(a, 'strong') === 'false' ? 'weak_alias' : 'alias',
      })
    }
    if (names.length === 0) throw new ListFormatError(file, where, 'no <nameAlias> with a name')
    const countries = new Set<string>()
    for (const n of [...asArray(e.citizenship), ...asArray(e.address)]) {
      const c = countryCode(attr(n, 'countryIso2Code') ?? attr(n, 'countryDescription'))
      if (c && c !== '00') countries.add(c)
    }
    const identifiers: EntryIdentifier[] = []
    for (const n of asArray(e.identification)) {
      const num = attr(n, 'number') ?? attr(n, 'latinNumber')
      if (!num) continue
      const c = countryCode(attr(n, 'countryIso2Code'))
      identifiers.push({
        type: attr(n, 'identificationTypeCode') ?? 'id',
        value: num,
        ...(c ? { country: c } : {}),
      })
    }
    const programmes = asArray(e.regulation)
      .map((r) => attr(r, 'programme'))
      .filter((p): p is string => !!p)
    const remark = text(e.remark)
    entries.push({
      listId: 'eu',
      key,
      type: subjectType(attr(child(e, 'subjectType'), 'code')),
      names,
      dobs: asArray(e.birthdate)
        .map(birthdate)
        .filter((d): d is string => !!d),
      countries: [...countries],
      identifiers,
      cryptoAddresses: [],
      programs: [...new Set(programmes)],
      ...(remark ? { remarks: remark } : {}),
    })
  })
  return { listId: 'eu', format: 'eu-xml', entries, warnings: [] }
}
