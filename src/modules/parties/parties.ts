/**
 * Parties: customers and counterparties, persons and organisations. Pure domain: the shapes, the
 * input checks, the status state machine and the risk rating. No I/O here.
 */
import { countryCode, normalizeIdentifier, normalizeName, type ScreeningQuery } from '../screening/index.js'
import { partiesError } from './parties.errors.js'

export const PARTY_KINDS = ['person', 'organisation'] as const
export type PartyKind = (typeof PARTY_KINDS)[number]
export const PARTY_ROLES = ['customer', 'counterparty'] as const
export type PartyRole = (typeof PARTY_ROLES)[number]
export const PARTY_STATUSES = ['onboarding', 'active', 'restricted', 'exited'] as const
export type PartyStatus = (typeof PARTY_STATUSES)[number]
export const IDENTIFIER_TYPES = ['national_id', 'passport', 'tax_id', 'lei', 'registration'] as const
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number]
export const NAME_KINDS = ['legal', 'alias', 'former', 'transliteration', 'trading'] as const
export type PartyNameKind = (typeof NAME_KINDS)[number]
/** Products whose use raises the risk rating (FATF product / delivery-channel risk). */
export const RISKY_PRODUCTS: Readonly<Record<string, number>> = {
  crypto: 20,
  cross_border: 15,
  cash: 15,
  private_banking: 15,
  correspondent: 20,
}
export const SCREENING_STATUSES = ['not_screened', 'clear', 'possible_match', 'confirmed_match'] as const
export type ScreeningStatus = (typeof SCREENING_STATUSES)[number]
export type RiskLevel = 'low' | 'medium' | 'high' | 'prohibited'

export interface PartyName {
  readonly value: string
  readonly kind: PartyNameKind
}
export interface PartyAddress {
  readonly lines: readonly string[]
  readonly city?: string | undefined
  readonly postalCode?: string | undefined
  readonly country: string
}
export interface PartyIdentifier {
  readonly type: IdentifierType
  readonly value: string
  readonly country?: string | undefined
}

/** The personal fields: stored only encrypted, never in events or logs. */
export interface PartyDetails {
  /** The first is the legal name; any script. */
  readonly names: readonly PartyName[]
  /** Date of birth (person) or of incorporation (organisation): YYYY-MM-DD. */
  readonly birthDate?: string | undefined
  /** ISO 3166 alpha-2: nationalities (person). */
  readonly nationalities: readonly string[]
  /** ISO 3166 alpha-2: residence (person) or incorporation (organisation). */
  readonly country?: string | undefined
  readonly addresses: readonly PartyAddress[]
  readonly identifiers: readonly PartyIdentifier[]
}

export interface RiskReason {
  readonly factor: 'jurisdiction' | 'screening' | 'monitoring' | 'product'
  readonly points: number
  /** Says why without personal data (no country names, no list entry names). */
  readonly detail: string
}

export interface Party {
  readonly id: string
  readonly kind: PartyKind
  readonly roles: readonly PartyRole[]
  readonly status: PartyStatus
  readonly details: PartyDetails
  readonly products: readonly string[]
  readonly riskLevel: RiskLevel
  readonly riskScore: number
  readonly riskReasons: readonly RiskReason[]
  readonly screeningStatus: ScreeningStatus
  readonly screenedAt: Date | null
  readonly version: number
  readonly createdAt: Date
  readonly updatedAt: Date
}

// ---- input checks ----

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

function checkDate(value: string, field: string, today: Date): string {
  const m = DATE.exec(value)
  const d = m ? new Date(`${value}T00:00:00Z`) : undefined
  if (!m || !d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value)
    throw partiesError('PARTY_INVALID', `${field} "${value}" must be a real date as YYYY-MM-DD`)
  if (d.getTime() > today.getTime()) throw partiesError('PARTY_INVALID', `${field} is in the future`)
  if (d.getUTCFullYear() < 1800) throw partiesError('PARTY_INVALID', `${field} is before 1800`)
  return value
}

function checkCountry(value: string, field: string): string {
  const c = countryCode(value)
  if (!c)
    throw partiesError('PARTY_INVALID', `${field} "${value}" is not a known country (ISO 3166 code or name)`)
  return c
}

/** ISO 17442: 20 characters, the last two are ISO 7064 mod 97-10 check digits. */
export function leiValid(lei: string): boolean {
  if (!/^[A-Z0-9]{18}[0-9]{2}$/.test(lei)) return false
  let rem = 0
  for (const ch of lei) {
    const v = /[0-9]/.test(ch) ? ch : String(ch.charCodeAt(0) - 55)
    for (const digit of v) rem = (rem * 10 + Number(digit)) % 97
  }
  return rem === 1
}

function checkIdentifier(id: PartyIdentifier): PartyIdentifier {
  const norm = normalizeIdentifier(id.value)
  if (norm.length < 2 || norm.length > 64)
    throw partiesError('PARTY_IDENTIFIER_INVALID', `${id.type} must have 2 to 64 letters or digits`)
  if (id.type === 'lei' && !leiValid(norm))
    throw partiesError('PARTY_IDENTIFIER_INVALID', `LEI "${id.value}" fails its ISO 17442 check digits`)
  return {
    type: id.type,
    value: id.value.trim(),
    ...(id.country ? { country: checkCountry(id.country, 'identifier country') } : {}),
  }
}

/** Validates and normalises personal fields (countries to ISO codes); throws PARTY_INVALID naming the field. */
export function checkDetails(kind: PartyKind, d: PartyDetails, today: Date): PartyDetails {
  const names = d.names.map((n) => ({ value: n.value.normalize('NFC').trim(), kind: n.kind }))
  if (names.length === 0 || !names[0]!.value)
    throw partiesError('PARTY_INVALID', 'names needs at least the legal name')
  for (const n of names) {
    if (normalizeName(n.value, kind === 'person' ? 'person' : 'entity').tokens.length === 0)
      throw partiesError('PARTY_INVALID', `name "${n.value}" has no letter or digit`)
  }
  if (kind === 'organisation' && d.nationalities.length > 0)
    throw partiesError('PARTY_INVALID', 'an organisation has no nationality: use country (of incorporation)')
  return {
    names,
    ...(d.birthDate
      ? { birthDate: checkDate(d.birthDate, kind === 'person' ? 'birthDate' : 'incorporationDate', today) }
      : {}),
    nationalities: [...new Set(d.nationalities.map((c) => checkCountry(c, 'nationality')))],
    ...(d.country ? { country: checkCountry(d.country, 'country') } : {}),
    addresses: d.addresses.map((a) => ({
      lines: a.lines.map((l) => l.trim()).filter(Boolean),
      ...(a.city ? { city: a.city.trim() } : {}),
      ...(a.postalCode ? { postalCode: a.postalCode.trim() } : {}),
      country: checkCountry(a.country, 'address country'),
    })),
    identifiers: d.identifiers.map(checkIdentifier),
  }
}

// ---- status state machine ----

/** Allowed moves. Exited is final; only an active party may be restricted; onboarding may end in exit. */
const TRANSITIONS: Readonly<Record<PartyStatus, readonly PartyStatus[]>> = {
  onboarding: ['active', 'exited'],
  active: ['restricted', 'exited'],
  restricted: ['active', 'exited'],
  exited: [],
}

/** The next status, or PARTY_TRANSITION_INVALID / PARTY_SCREENING_UNRESOLVED. */
export function nextStatus(p: Pick<Party, 'status' | 'screeningStatus'>, to: PartyStatus): PartyStatus {
  if (!TRANSITIONS[p.status].includes(to))
    throw partiesError('PARTY_TRANSITION_INVALID', `${p.status} → ${to}`, {
      from: p.status,
      to,
      allowed: TRANSITIONS[p.status],
    })
  if (to === 'active' && (p.screeningStatus === 'possible_match' || p.screeningStatus === 'confirmed_match'))
    throw partiesError('PARTY_SCREENING_UNRESOLVED', `screening is ${p.screeningStatus}`)
  return to
}

// ---- risk rating ----

/** FATF "call for action" and increased-monitoring jurisdictions (as of the 2025 lists). */
const HIGH_RISK_COUNTRIES: ReadonlySet<string> = new Set(['KP', 'IR', 'MM'])
const MONITORED_COUNTRIES: ReadonlySet<string> = new Set([
  'DZ',
  'AO',
  'BG',
  'BF',
  'CM',
  'CI',
  'HR',
  'CD',
  'HT',
  'KE',
  'LA',
  'LB',
  'MC',
  'MZ',
  'NA',
  'NP',
  'NG',
  'ZA',
  'SS',
  'SY',
  'TZ',
  'VE',
  'VN',
  'YE',
  'AF',
  'RU',
  'CU',
])

export interface RiskInputs {
  readonly details: PartyDetails
  readonly products: readonly string[]
  readonly screeningStatus: ScreeningStatus
  /** Monitoring alerts raised on this party or its linked accounts. */
  readonly monitoringAlerts: number
}

/** Points per factor, summed: < 25 low, < 50 medium, otherwise high; a confirmed match is prohibited. */
export function rateRisk(i: RiskInputs): { level: RiskLevel; score: number; reasons: RiskReason[] } {
  const reasons: RiskReason[] = []
  const countries = new Set([
    ...i.details.nationalities,
    ...(i.details.country ? [i.details.country] : []),
    ...i.details.addresses.map((a) => a.country),
  ])
  const high = [...countries].filter((c) => HIGH_RISK_COUNTRIES.has(c)).length
  const monitored = [...countries].filter((c) => MONITORED_COUNTRIES.has(c)).length
  if (high > 0)
    reasons.push({
      factor: 'jurisdiction',
      points: 50,
      detail: `${high} high-risk (FATF call for action) country link(s)`,
    })
  else if (monitored > 0)
    reasons.push({
      factor: 'jurisdiction',
      points: 25,
      detail: `${monitored} FATF increased-monitoring country link(s)`,
    })
  if (i.screeningStatus === 'possible_match')
    reasons.push({ factor: 'screening', points: 50, detail: 'possible sanctions match awaiting a decision' })
  if (i.screeningStatus === 'confirmed_match')
    reasons.push({ factor: 'screening', points: 100, detail: 'confirmed sanctions match' })
  if (i.monitoringAlerts > 0)
    reasons.push({
      factor: 'monitoring',
      points: i.monitoringAlerts >= 5 ? 30 : 15,
      detail: `${i.monitoringAlerts} monitoring alert(s)`,
    })
  const productPoints = i.products.map((p) => [p, RISKY_PRODUCTS[p] ?? 0] as const).filter(([, n]) => n > 0)
  if (productPoints.length > 0)
    reasons.push({
      factor: 'product',
      points: Math.max(...productPoints.map(([, n]) => n)),
      detail: `higher-risk product(s): ${productPoints.map(([p]) => p).join(', ')}`,
    })
  const score = Math.min(
    100,
    reasons.reduce((s, r) => s + r.points, 0),
  )
  const level: RiskLevel =
    i.screeningStatus === 'confirmed_match'
      ? 'prohibited'
      : score >= 50
        ? 'high'
        : score >= 25
          ? 'medium'
          : 'low'
  return { level, score, reasons }
}

// ---- screening ----

/** Fields whose change means the party must be screened again. */
export function screeningRelevantChange(a: PartyDetails, b: PartyDetails): boolean {
  return (
    JSON.stringify(screeningQueries('person', 'x', a)) !== JSON.stringify(screeningQueries('person', 'x', b))
  )
}

/** At most this many names of a party are screened (each its own screening subject). */
export const MAX_SCREENED_NAMES = 8

/** One screening query per name: subject ids `pty_…:0`, `pty_…:1`… so the rescreen keeps every name. */
export function screeningQueries(
  kind: PartyKind,
  partyId: string,
  d: PartyDetails,
): { subjectId: string; query: ScreeningQuery }[] {
  const countries = [...new Set([...d.nationalities, ...(d.country ? [d.country] : [])])]
  return d.names.slice(0, MAX_SCREENED_NAMES).map((n, i) => ({
    subjectId: `${partyId}:${i}`,
    query: {
      name: n.value,
      type: kind === 'person' ? 'person' : 'entity',
      ...(d.birthDate ? { dob: d.birthDate } : {}),
      ...(countries.length ? { countries } : {}),
      ...(d.identifiers.length ? { identifiers: d.identifiers.map((x) => x.value) } : {}),
    },
  }))
}

/** The party a screening subject id belongs to (`pty_…:N` → `pty_…`), or undefined for other subjects. */
export function partyOfSubject(subjectId: string): string | undefined {
  const m = /^(pty_[A-Za-z0-9]+):\d+$/.exec(subjectId)
  return m?.[1]
}
