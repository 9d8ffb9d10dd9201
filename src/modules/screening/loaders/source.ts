import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { listSourceUnreadable, unknownFormat } from '../screening.errors.js'
import type { ListFormat, ParsedList } from '../screening.js'
import { parseCslCsv } from './csl-csv.js'
import { parseEuXml } from './eu-xml.js'
import { parseOfacAdvancedXml } from './ofac-advanced-xml.js'
import { parseOfacCsv, type OfacCsvFiles } from './ofac-csv.js'
import { parseUkCsv } from './uk-csv.js'
import { parseUnXml } from './un-xml.js'

/** Raw content of a list source: one file, or the files of an OFAC CSV set. */
export interface ListSource {
  readonly name: string
  readonly files: ReadonlyMap<string, Buffer>
}

function decode(name: string, buf: Buffer): string {
  const raw = name.endsWith('.gz') ? gunzipSync(buf) : buf
  return raw.toString('utf8')
}

/** Reads a file or a directory (OFAC CSV sets). URLs are fetched by the caller. */
export function readListSource(path: string): ListSource {
  try {
    const st = statSync(path)
    const files = new Map<string, Buffer>()
    if (st.isDirectory()) {
      for (const f of readdirSync(path).sort()) {
        const full = join(path, f)
        if (statSync(full).isFile()) files.set(f, readFileSync(full))
      }
    } else files.set(basename(path), readFileSync(path))
    return { name: path, files }
  } catch (err) {
    throw listSourceUnreadable(path, err)
  }
}

export function sourceExists(path: string): boolean {
  return existsSync(path)
}

/** Guesses the format from file names and the first bytes. */
export function detectFormat(src: ListSource): ListFormat {
  const names = [...src.files.keys()].map((n) => n.toLowerCase())
  if (names.some((n) => /^cons_prim/.test(n))) return 'ofac-cons-csv'
  if (names.some((n) => /^sdn\.csv$/.test(n))) return 'ofac-csv'
  if (src.files.size === 1) {
    const [name, buf] = [...src.files.entries()][0]!
    const head = decode(name, buf.subarray(0, name.endsWith('.gz') ? buf.length : 4096)).slice(0, 4096)
    if (head.includes('<CONSOLIDATED_LIST')) return 'un-xml'
    if (head.includes('<Sanctions') && head.includes('DistinctParties')) return 'ofac-advanced-xml'
    if (/<(\w+:)?Sanctions[\s>]/.test(head)) return 'ofac-advanced-xml'
    if (head.includes('<export') && head.includes('sanctionEntity')) return 'eu-xml'
    if (head.includes('<export')) return 'eu-xml'
    if (/^\uFEFF?_id,source,/.test(head)) return 'csl-csv'
    if (/Name 6/.test(head) && /Group ID/.test(head)) return 'uk-csv'
  }
  throw unknownFormat(src.name)
}

function pick(src: ListSource, re: RegExp): { name: string; text: string } | undefined {
  for (const [name, buf] of src.files)
    if (re.test(name.toLowerCase())) return { name, text: decode(name, buf) }
  return undefined
}

function single(src: ListSource): { name: string; text: string } {
  const first = [...src.files.entries()][0]
  if (!first || src.files.size !== 1) throw unknownFormat(src.name)
  return { name: first[0], text: decode(first[0], first[1]) }
}

/** Every format but OFAC's CSV sets comes as one file, parsed from its text and file name. */
const ONE_FILE_PARSERS: Readonly<
  Record<Exclude<ListFormat, 'ofac-csv' | 'ofac-cons-csv'>, (text: string, file: string) => ParsedList>
> = {
  'un-xml': parseUnXml,
  'csl-csv': parseCslCsv,
  'eu-xml': parseEuXml,
  'uk-csv': parseUkCsv,
  'ofac-advanced-xml': parseOfacAdvancedXml,
}

export function parseListSource(src: ListSource, format: ListFormat = detectFormat(src)): ParsedList {
  if (format === 'ofac-csv' || format === 'ofac-cons-csv')
    return parseOfacCsvSet(src, format === 'ofac-cons-csv')
  const f = single(src)
  return ONE_FILE_PARSERS[format](f.text, f.name)
}

/** An OFAC CSV set (SDN or consolidated): the primary file, and alt, add and comments when present. */
function parseOfacCsvSet(src: ListSource, cons: boolean): ParsedList {
  const primary =
    pick(src, cons ? /^cons_prim.*\.csv$/ : /^sdn\.csv$/) ?? (src.files.size === 1 ? single(src) : undefined)
  if (!primary) throw unknownFormat(src.name)
  const alt = pick(src, cons ? /^cons_alt.*\.csv$/ : /^alt\.csv$/)
  const add = pick(src, cons ? /^cons_add.*\.csv$/ : /^add\.csv$/)
  const comments = pick(src, cons ? /^cons_comments.*\.csv$/ : /^sdn_comments\.csv$/)
  const files: OfacCsvFiles = {
    primary,
    ...(alt ? { alt } : {}),
    ...(add ? { add } : {}),
    ...(comments ? { comments } : {}),
  }
  return parseOfacCsv(files, cons ? 'ofac_cons' : 'ofac_sdn')
}
