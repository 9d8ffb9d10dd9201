import { countryCode } from '../countries.js'
import type { CryptoAddress, EntryIdentifier } from '../screening.js'

/** What the free-text remarks of OFAC (and CSL) records say about dates, countries and ids. */
export interface RemarkFacts {
  dobs: string[]
  countries: string[]
  identifiers: EntryIdentifier[]
  cryptoAddresses: CryptoAddress[]
  gender?: string
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** "04 Apr 1962", "Apr 1962", "1962", "circa 1962", "1960 to 1962", "1962-04-04" → list DOB strings. */
export function parseDateText(text: string): string[] {
  const t = text
    .trim()
    .replace(/^circa\s+/i, '')
    .replace(/\.$/, '')
  const range = /^(?:\d{1,2}\s+[A-Za-z]{3}\s+)?(\d{4})\s+to\s+(?:\d{1,2}\s+[A-Za-z]{3}\s+)?(\d{4})$/.exec(t)
  if (range) return [`${range[1]}/${range[2]}`]
  let r = /^(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$/.exec(t)
  if (r) {
    const m = MONTHS[r[2]!.toLowerCase()]
    if (m) return [`${r[3]}-${pad(m)}-${pad(Number(r[1]))}`]
  }
  r = /^([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$/.exec(t)
  if (r) {
    const m = MONTHS[r[1]!.toLowerCase()]
    if (m) return [`${r[2]}-${pad(m)}`]
  }
  r = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(t)
  if (r) return [t]
  r = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t)
  if (r) return [`${r[3]}-${pad(Number(r[1]))}-${pad(Number(r[2]))}`]
  return []
}

const ID_CLAUSE =
  /^(?:alt\.\s+)?((?:[A-Za-z][A-Za-z .,'/#&()-]*?)?(?:No\.?|Number|ID|Passport|IMO|MMSI|SWIFT\/BIC|R\.F\.C\.|RFC|C\.U\.R\.P\.|NIT #|Code|Card|License|Document #|Credencial electoral|C\.U\.I\.|Registry No\.?))\s+([A-Za-z0-9][A-Za-z0-9 ./-]*?\d[A-Za-z0-9./-]*)(?:\s*\(([^)]*)\))?\s*(?:issued.*|expires.*)?$/

export function parseRemarks(remarks: string | undefined): RemarkFacts {
  const out: RemarkFacts = { dobs: [], countries: [], identifiers: [], cryptoAddresses: [] }
  if (!remarks) return out
  for (const rawClause of remarks.split(';')) {
    const clause = rawClause.trim().replace(/\.$/, '')
    if (!clause) continue
    let r = /^(?:alt\.\s+)?DOB\s+(.+)$/i.exec(clause)
    if (r) {
      out.dobs.push(...parseDateText(r[1]!))
      continue
    }
    r = /^(?:alt\.\s+)?(?:nationality|citizen|Nationality of Registration|Vessel Flag)\s+(.+)$/i.exec(clause)
    if (r) {
      const c = countryCode(r[1])
      if (c) out.countries.push(c)
      continue
    }
    r = /^Gender\s+(Male|Female)$/i.exec(clause)
    if (r) {
      out.gender = r[1]!.toLowerCase()
      continue
    }
    r = /^(?:alt\.\s+)?Digital Currency Address - ([A-Z0-9]+)\s+(\S+)$/.exec(clause)
    if (r) {
      out.cryptoAddresses.push({ currency: r[1]!, address: r[2]! })
      continue
    }
    r = ID_CLAUSE.exec(clause)
    if (
      r &&
      !/^a\.k\.a/i.test(clause) &&
      !/^(Linked To|Additional Sanctions|Secondary sanctions)/i.test(clause)
    ) {
      const country = r[3] ? countryCode(r[3]) : undefined
      out.identifiers.push({ type: r[1]!.trim(), value: r[2]!.trim(), ...(country ? { country } : {}) })
    }
  }
  return out
}
