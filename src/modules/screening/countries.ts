import anyAscii from 'any-ascii'

/**
 * Country names and codes → ISO 3166-1 alpha-2. Built from the runtime's CLDR region names
 * (Intl.DisplayNames) plus the spellings the sanctions lists actually use.
 */
const ALIASES: Record<string, string> = {
  'iran islamic republic of': 'IR',
  'islamic republic of iran': 'IR',
  'russian federation': 'RU',
  russia: 'RU',
  'syrian arab republic': 'SY',
  'korea north': 'KP',
  'north korea': 'KP',
  'korea democratic peoples republic of': 'KP',
  'democratic peoples republic of korea': 'KP',
  dprk: 'KP',
  'korea south': 'KR',
  'south korea': 'KR',
  'republic of korea': 'KR',
  'korea republic of': 'KR',
  burma: 'MM',
  myanmar: 'MM',
  'congo democratic republic of the': 'CD',
  'democratic republic of the congo': 'CD',
  'democratic republic of congo': 'CD',
  'congo kinshasa': 'CD',
  drc: 'CD',
  'congo republic of the': 'CG',
  'republic of the congo': 'CG',
  'congo brazzaville': 'CG',
  'cote d ivoire': 'CI',
  'cote divoire': 'CI',
  'ivory coast': 'CI',
  'united states of america': 'US',
  'united states': 'US',
  usa: 'US',
  'united kingdom of great britain and northern ireland': 'GB',
  'united kingdom': 'GB',
  uk: 'GB',
  'great britain': 'GB',
  'viet nam': 'VN',
  vietnam: 'VN',
  'lao peoples democratic republic': 'LA',
  laos: 'LA',
  'bolivia plurinational state of': 'BO',
  'venezuela bolivarian republic of': 'VE',
  'tanzania united republic of': 'TZ',
  'united republic of tanzania': 'TZ',
  'moldova republic of': 'MD',
  'republic of moldova': 'MD',
  'macedonia the former yugoslav republic of': 'MK',
  'the former yugoslav republic of macedonia': 'MK',
  'north macedonia': 'MK',
  'palestinian territories': 'PS',
  'state of palestine': 'PS',
  palestine: 'PS',
  'west bank': 'PS',
  gaza: 'PS',
  'czech republic': 'CZ',
  czechia: 'CZ',
  'east timor': 'TL',
  'timor leste': 'TL',
  turkiye: 'TR',
  turkey: 'TR',
  'hong kong': 'HK',
  'hong kong sar china': 'HK',
  macau: 'MO',
  'macao sar china': 'MO',
  'brunei darussalam': 'BN',
  'cabo verde': 'CV',
  'cape verde': 'CV',
  eswatini: 'SZ',
  swaziland: 'SZ',
  'the gambia': 'GM',
  gambia: 'GM',
  'the bahamas': 'BS',
  'holy see': 'VA',
  'micronesia federated states of': 'FM',
  'saint kitts and nevis': 'KN',
  'saint lucia': 'LC',
  'saint vincent and the grenadines': 'VC',
  'sao tome and principe': 'ST',
  'bosnia and herzegovina': 'BA',
  'bosnia herzegovina': 'BA',
  'trinidad and tobago': 'TT',
  'antigua and barbuda': 'AG',
  kosovo: 'XK',
  'region kosovo': 'XK',
  yugoslavia: 'RS',
  'serbia and montenegro': 'RS',
  crimea: 'UA',
  'region crimea': 'UA',
  'soviet union': 'RU',
  ussr: 'RU',
  'netherlands antilles': 'CW',
  'united arab emirates': 'AE',
  uae: 'AE',
  'saudi arabia': 'SA',
}

export function normalizeCountryText(s: string): string {
  return anyAscii(s)
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/^the /, '')
    .trim()
}

let table: Map<string, string> | undefined

function buildTable(): Map<string, string> {
  const t = new Map<string, string>()
  const names = new Intl.DisplayNames(['en'], { type: 'region' })
  for (let a = 65; a < 91; a++) {
    for (let b = 65; b < 91; b++) {
      const code = String.fromCharCode(a, b)
      let name: string | undefined
      try {
        name = names.of(code)
      } catch {
        name = undefined
      }
      if (!name || name === code) continue
      t.set(normalizeCountryText(name), code)
      // "Myanmar (Burma)", "Congo - Kinshasa": also index the part before the qualifier.
      const base = name.split(/ \(| - /)[0]
      if (base && base !== name && !t.has(normalizeCountryText(base))) t.set(normalizeCountryText(base), code)
    }
  }
  for (const [k, v] of Object.entries(ALIASES)) t.set(k, v)
  return t
}

/** ISO alpha-2 for a country name or code ("Iran", "IR", "irn" is not handled), or undefined. */
export function countryCode(input: string | null | undefined): string | undefined {
  if (!input) return undefined
  const raw = input.trim()
  if (/^[A-Za-z]{2}$/.test(raw)) {
    const up = raw.toUpperCase()
    return up === 'UK' ? 'GB' : up
  }
  table ??= buildTable()
  const key = normalizeCountryText(raw)
  return table.get(key) ?? table.get(key.replace(/ (republic|state|kingdom) of$/, ''))
}
