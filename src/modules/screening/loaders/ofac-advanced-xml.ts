import { countryCode } from '../countries.js'
import type { SubjectType } from '../normalize.js'
import { ListFormatError } from '../screening.errors.js'
import type { CryptoAddress, EntryIdentifier, EntryName, ListEntry, ParsedList } from '../screening.js'
import { asArray, attr, child, parseXml, text, type XmlNode } from './xml.js'

const ARRAYS = new Set([
  'DistinctParty',
  'Profile',
  'Identity',
  'Alias',
  'DocumentedName',
  'DocumentedNamePart',
  'NamePartGroup',
  'MasterNamePartGroup',
  'Feature',
  'FeatureVersion',
  'VersionDetail',
  'VersionLocation',
  'IDRegDocument',
  'Location',
  'LocationCountry',
  'AliasType',
  'PartySubType',
  'PartyType',
  'FeatureType',
  'NamePartType',
  'IDRegDocType',
  'Country',
  'SanctionsEntry',
  'SanctionsMeasure',
])

const pad = (s: string): string => s.padStart(2, '0')

function refMap(sets: XmlNode | undefined, group: string, item: string): Map<string, XmlNode> {
  const m = new Map<string, XmlNode>()
  for (const n of asArray(child(sets, group)?.[item])) {
    const id = attr(n, 'ID')
    if (id) m.set(id, n)
  }
  return m
}

function datePeriod(p: XmlNode | undefined): string | undefined {
  const from = child(child(p, 'Start'), 'From')
  const to = child(child(p, 'End'), 'To') ?? child(child(p, 'Start'), 'To')
  const y = text(from?.Year)
  if (!y) return undefined
  const m = text(from?.Month)
  const d = text(from?.Day)
  const yTo = text(to?.Year)
  if (yTo && yTo !== y) return `${y}/${yTo}`
  const mTo = text(to?.Month)
  const dTo = text(to?.Day)
  // A whole-year period (Jan 1 – Dec 31) is a year of birth, not a date.
  if (m && d && !(m === '1' && d === '1' && mTo === '12' && dTo === '31')) return `${y}-${pad(m)}-${pad(d)}`
  return y
}

/**
 * OFAC SDN "advanced" XML (sdn_advanced.xml): names from DocumentedName parts, types from the
 * reference value sets (resolved by name, not by hard-coded ids), birthdates, nationality and
 * citizenship countries, digital currency addresses, and ID documents.
 */
export function parseOfacAdvancedXml(xml: string, file = 'sdn_advanced.xml'): ParsedList {
  const doc = parseXml(xml, file, ARRAYS)
  const root = child(doc, 'Sanctions')
  if (!root) throw new ListFormatError(file, 'root element', 'expected <Sanctions> (OFAC advanced XML)')
  const sets = child(root, 'ReferenceValueSets')
  if (!sets) throw new ListFormatError(file, '<ReferenceValueSets>', 'missing')
  const aliasTypes = refMap(sets, 'AliasTypeValues', 'AliasType')
  const subTypes = refMap(sets, 'PartySubTypeValues', 'PartySubType')
  const partyTypes = refMap(sets, 'PartyTypeValues', 'PartyType')
  const featureTypes = refMap(sets, 'FeatureTypeValues', 'FeatureType')
  const namePartTypes = refMap(sets, 'NamePartTypeValues', 'NamePartType')
  const docTypes = refMap(sets, 'IDRegDocTypeValues', 'IDRegDocType')
  const countriesById = refMap(sets, 'CountryValues', 'Country')
  const locations = new Map<string, string[]>()
  for (const l of asArray(child(root, 'Locations')?.Location)) {
    const id = attr(l, 'ID')
    if (!id) continue
    const cs: string[] = []
    for (const lc of asArray(l.LocationCountry)) {
      const c = countriesById.get(attr(lc, 'CountryID') ?? '')
      const code = c ? (countryCode(attr(c, 'ISO2')) ?? countryCode(text(c))) : undefined
      if (code) cs.push(code)
    }
    locations.set(id, cs)
  }
  const docsByIdentity = new Map<string, EntryIdentifier[]>()
  for (const d of asArray(child(root, 'IDRegDocuments')?.IDRegDocument)) {
    const identity = attr(d, 'IdentityID')
    const no = text(d.IDRegistrationNo)
    if (!identity || !no) continue
    const country = countriesById.get(attr(d, 'IssuedBy-CountryID') ?? '')
    const cc = country ? countryCode(attr(country, 'ISO2') ?? text(country)) : undefined
    const list = docsByIdentity.get(identity) ?? []
    list.push({
      type: text(docTypes.get(attr(d, 'IDRegDocTypeID') ?? '')) ?? 'document',
      value: no,
      ...(cc ? { country: cc } : {}),
    })
    docsByIdentity.set(identity, list)
  }
  const entries: ListEntry[] = []
  asArray(child(root, 'DistinctParties')?.DistinctParty).forEach((party, i) => {
    const key = attr(party, 'FixedRef')
    const where = `<DistinctParty> #${i + 1}${key ? ` (FixedRef ${key})` : ''}`
    if (!key) throw new ListFormatError(file, where, 'missing FixedRef attribute')
    const profile = asArray(party.Profile)[0]
    if (!profile) throw new ListFormatError(file, where, 'no <Profile>')
    const sub = subTypes.get(attr(profile, 'PartySubTypeID') ?? '')
    const subName = (text(sub) ?? '').toLowerCase()
    const partyName = (text(partyTypes.get(attr(sub, 'PartyTypeID') ?? '')) ?? '').toLowerCase()
    const type: SubjectType =
      subName === 'vessel'
        ? 'vessel'
        : subName === 'aircraft'
          ? 'aircraft'
          : partyName === 'individual'
            ? 'person'
            : partyName === 'entity'
              ? 'entity'
              : 'unknown'
    const names: EntryName[] = []
    const identifiers: EntryIdentifier[] = []
    for (const identity of asArray(profile.Identity)) {
      const partTypeByGroup = new Map<string, string>()
      for (const mg of asArray(child(identity, 'NamePartGroups')?.MasterNamePartGroup)) {
        for (const g of asArray(mg.NamePartGroup)) {
          partTypeByGroup.set(
            attr(g, 'ID') ?? '',
            (text(namePartTypes.get(attr(g, 'NamePartTypeID') ?? '')) ?? '').toLowerCase(),
          )
        }
      }
      for (const alias of asArray(identity.Alias)) {
        const aliasType = (text(aliasTypes.get(attr(alias, 'AliasTypeID') ?? '')) ?? '').toLowerCase()
        const low = attr(alias, 'LowQuality') === 'true'
        const primary = attr(alias, 'Primary') === 'true'
        for (const dn of asArray(alias.DocumentedName)) {
          const last: string[] = []
          const rest: string[] = []
          for (const part of asArray(dn.DocumentedNamePart)) {
            const v = child(part, 'NamePartValue')
            const value = text(v)
            if (!value) continue
            const pt = partTypeByGroup.get(attr(v, 'NamePartGroupID') ?? '') ?? ''
            ;(pt === 'last name' ? last : rest).push(value)
          }
          const full =
            last.length && rest.length ? `${last.join(' ')}, ${rest.join(' ')}` : [...last, ...rest].join(' ')
          if (!full)
            throw new ListFormatError(file, `${where} <DocumentedName>`, 'a name without any <NamePartValue>')
          names.push({
            name: full,
            kind: primary && aliasType === 'name' ? 'primary' : low ? 'weak_alias' : 'alias',
          })
        }
      }
      identifiers.push(...(docsByIdentity.get(attr(identity, 'ID') ?? '') ?? []))
    }
    if (names.length === 0) throw new ListFormatError(file, where, 'no names')
    names.sort((a, b) => (a.kind === 'primary' ? -1 : b.kind === 'primary' ? 1 : 0))
    const dobs: string[] = []
    const countries = new Set<string>()
    const crypto: CryptoAddress[] = []
    for (const f of asArray(profile.Feature)) {
      const ft = text(featureTypes.get(attr(f, 'FeatureTypeID') ?? '')) ?? ''
      for (const fv of asArray(f.FeatureVersion)) {
        if (/^birthdate$/i.test(ft)) {
          const d = datePeriod(child(fv, 'DatePeriod'))
          if (d) dobs.push(d)
        } else if (/nationality|citizenship|flag/i.test(ft)) {
          for (const vl of asArray(fv.VersionLocation))
            for (const c of locations.get(attr(vl, 'LocationID') ?? '') ?? []) countries.add(c)
        } else if (/^Digital Currency Address - /i.test(ft)) {
          for (const vd of asArray(fv.VersionDetail)) {
            const a = text(vd)
            if (a) crypto.push({ currency: ft.replace(/^Digital Currency Address - /i, ''), address: a })
          }
        }
      }
    }
    entries.push({
      listId: 'ofac_sdn',
      key,
      type,
      names,
      dobs,
      countries: [...countries],
      identifiers,
      cryptoAddresses: crypto,
      programs: [],
    })
  })
  return { listId: 'ofac_sdn', format: 'ofac-advanced-xml', entries, warnings: [] }
}
