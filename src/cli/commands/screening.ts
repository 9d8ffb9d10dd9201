import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import {
  LIST_FORMATS,
  parseCsvRows,
  readListSource,
  type CheckHit,
  type ListFormat,
  type ListSource,
  type SubjectType,
} from '../../modules/screening/index.js'
import { AppError } from '../../shared/errors.js'
import { withServices } from '../context.js'

const TYPES: readonly SubjectType[] = ['person', 'entity', 'vessel', 'aircraft', 'unknown']

async function fetchSource(url: string): Promise<ListSource> {
  let res: Response
  try {
    res = await fetch(url)
  } catch (err) {
    throw new AppError('SCREENING_LIST_UNREADABLE', 'unavailable', `Cannot download ${url}: ${String(err)}`)
  }
  if (!res.ok)
    throw new AppError(
      'SCREENING_LIST_UNREADABLE',
      'unavailable',
      `Downloading ${url} answered HTTP ${res.status}`,
    )
  const name = basename(new URL(url).pathname) || 'list'
  return { name: url, files: new Map([[name, Buffer.from(await res.arrayBuffer())]]) }
}

function printHit(h: CheckHit): void {
  const e = h.explanation
  process.stdout.write(
    `${h.score.toFixed(3)}  ${h.listId}:${h.entryKey}  ${h.primaryName}  [${h.entryType}]${h.suppressedBy ? '  (suppressed: not a match)' : ''}\n`,
  )
  process.stdout.write(`       ${e.summary}\n`)
}

const pick = (row: Record<string, string>, ...keys: string[]): string | undefined => {
  for (const k of keys) {
    const v = row[k]?.trim()
    if (v) return v
  }
  return undefined
}

const DEFAULT_ID_COLUMN = 'identifiers'

/** `--threshold`: the API's range (0.5–1); anything else is refused before any work is done. */
function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const t = Number(text)
  if (text.trim() === '' || !(t >= 0.5 && t <= 1))
    throw new AppError(
      'SCREENING_THRESHOLD_INVALID',
      'invalid',
      `--threshold must be a number between 0.5 and 1, got "${text}"`,
    )
  return t
}

/** `--limit`: hits reported per name, 1–100 as in the API. */
function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 100)
    throw new AppError(
      'SCREENING_LIMIT_INVALID',
      'invalid',
      `--limit must be a whole number from 1 to 100, got "${text}"`,
    )
  return n
}

interface FileOptions {
  readonly threshold: number | undefined
  readonly limit: number | undefined
  /** Column holding identifiers (passport, registration numbers; several separated by ";"). */
  readonly idColumn: string
}

/**
 * Screens each row of a CSV in one process (the index is built once); returns whether any row hit.
 * Identifiers are read only from the column named by --id-column ("identifiers" by default): a
 * column called "id" is usually the file's own record id, so it is echoed back as `id` on the
 * row's output line, never matched against the lists' passport and registration numbers.
 */
async function screenFile(path: string, tenant: string, opts: FileOptions): Promise<boolean> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AppError('SCREENING_FILE_UNREADABLE', 'invalid', `Cannot read ${path}: ${String(err)}`)
  }
  const rows = parseCsvRows(text, path)
  const header = (rows[0]?.cells ?? []).map((h) => h.trim().toLowerCase())
  if (!header.some((h) => h === 'name' || h === 'full_name')) {
    throw new AppError(
      'SCREENING_FILE_MALFORMED',
      'invalid',
      `${path}: line 1 must be a header with a "name" or "full_name" column`,
    )
  }
  const idColumn = opts.idColumn.trim().toLowerCase()
  if (opts.idColumn !== DEFAULT_ID_COLUMN && !header.includes(idColumn)) {
    throw new AppError(
      'SCREENING_FILE_MALFORMED',
      'invalid',
      `${path}: --id-column "${opts.idColumn}" is not a column of the header (${header.join(', ')})`,
    )
  }
  let anyHit = false
  await withServices(async (s) => {
    for (const r of rows.slice(1)) {
      const row = Object.fromEntries(header.map((h, i) => [h, r.cells[i] ?? '']))
      const name = pick(row, 'name', 'full_name') ?? ''
      const type = (pick(row, 'type') ?? 'unknown') as SubjectType
      const dob = pick(row, 'dob', 'date_of_birth')
      const countries = (pick(row, 'country', 'countries', 'nationality') ?? '')
        .split(';')
        .map((c) => c.trim())
        .filter(Boolean)
      const ids = (pick(row, idColumn) ?? '')
        .split(';')
        .map((c) => c.trim())
        .filter(Boolean)
      const subject = pick(row, 'subject', 'subject_id')
      const rowId = idColumn === 'id' ? undefined : pick(row, 'id')
      let out: Record<string, unknown>
      try {
        const res = await s.screening.check(
          tenant,
          {
            name,
            type: TYPES.includes(type) ? type : 'unknown',
            ...(dob && /^\d{4}(-\d{1,2}(-\d{1,2})?)?$/.test(dob) ? { dob } : {}),
            ...(countries.length ? { countries } : {}),
            ...(ids.length ? { identifiers: ids } : {}),
          },
          {
            ...(subject ? { subjectId: subject } : {}),
            ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
            ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          },
        )
        anyHit ||= res.hits.length > 0
        out = {
          line: r.line,
          ...(rowId !== undefined ? { id: rowId } : {}),
          name,
          hits: res.hits.map((h) => ({
            listId: h.listId,
            entryKey: h.entryKey,
            primaryName: h.primaryName,
            score: h.score,
            summary: h.explanation.summary,
          })),
          suppressed: res.suppressed.length,
        }
      } catch (err) {
        out = {
          line: r.line,
          ...(rowId !== undefined ? { id: rowId } : {}),
          name,
          error: err instanceof AppError ? { code: err.code, message: err.message } : String(err),
        }
      }
      process.stdout.write(`${JSON.stringify(out)}\n`)
    }
  })
  return anyHit
}

export function registerScreeningCommands(program: Command): void {
  program
    .command('screen [name]')
    .description(
      'Screen a name (or every row of --file) against every loaded sanctions list and explain each hit',
    )
    .option(
      '--file <csv>',
      'screen every row of a CSV with a header (name|full_name, dob|date_of_birth, country|nationality, type, identifiers, subject; a column "id" is echoed back, not matched); prints one JSON line per row',
    )
    .option(
      '--id-column <column>',
      'with --file: the column holding identifiers to match exactly (several separated by ";")',
      DEFAULT_ID_COLUMN,
    )
    .option('--limit <n>', 'at most this many hits per name (1–100, default 10)')
    .option('--dob <date>', 'date of birth: YYYY, YYYY-MM or YYYY-MM-DD')
    .option('--country <country...>', 'nationality or residence (name or ISO code); repeatable')
    .option('--type <type>', `person | entity | vessel | aircraft | unknown`, 'unknown')
    .option('--id <identifier...>', 'passport, registration or tax number (matched exactly)')
    .option('--crypto <address...>', 'crypto address (matched exactly)')
    .option('--subject <id>', 'customer/counterparty id: remember it, apply decisions, raise alerts')
    .option('--threshold <score>', 'alert threshold (default: the shipped one)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--fail-on-hit', 'exit with status 3 when there is a hit')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string | undefined,
        opts: {
          file?: string
          dob?: string
          country?: string[]
          type: string
          id?: string[]
          crypto?: string[]
          subject?: string
          threshold?: string
          limit?: string
          idColumn: string
          tenant: string
          json?: boolean
          failOnHit?: boolean
        },
      ) => {
        // Options are checked before any file is read or any list is loaded.
        const threshold = parseThreshold(opts.threshold)
        const limit = parseLimit(opts.limit)
        if (opts.file) {
          const anyHit = await screenFile(opts.file, opts.tenant, {
            threshold,
            limit,
            idColumn: opts.idColumn,
          })
          process.exitCode = anyHit && opts.failOnHit ? 3 : 0
          return
        }
        if (name === undefined)
          throw new AppError(
            'SCREENING_NAME_REQUIRED',
            'invalid',
            'Give a name to screen, or --file with one row per name.',
          )
        if (!TYPES.includes(opts.type as SubjectType)) {
          throw new AppError('SCREENING_TYPE_INVALID', 'invalid', `--type must be one of ${TYPES.join(', ')}`)
        }
        const r = await withServices((s) =>
          s.screening.check(
            opts.tenant,
            {
              name,
              type: opts.type as SubjectType,
              ...(opts.dob ? { dob: opts.dob } : {}),
              ...(opts.country ? { countries: opts.country } : {}),
              ...(opts.id ? { identifiers: opts.id } : {}),
              ...(opts.crypto ? { cryptoAddresses: opts.crypto } : {}),
            },
            {
              ...(opts.subject ? { subjectId: opts.subject } : {}),
              ...(threshold !== undefined ? { threshold } : {}),
              ...(limit !== undefined ? { limit } : {}),
            },
          ),
        )
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(r)}\n`)
        } else {
          if (r.listsLoaded === 0)
            process.stderr.write('warning: no sanctions list is loaded; run `moneta lists import PATH`\n')
          for (const h of r.hits) printHit(h)
          for (const h of r.suppressed) printHit(h)
          process.stdout.write(
            `${r.hits.length} hit(s) at threshold ${r.threshold}${r.suppressed.length ? `, ${r.suppressed.length} suppressed` : ''}${r.alertsCreated ? `, ${r.alertsCreated} alert(s) raised` : ''}\n`,
          )
        }
        // With --fail-on-hit, exit 3 when there are hits, so scripts can branch without parsing.
        process.exitCode = r.hits.length > 0 && opts.failOnHit ? 3 : 0
      },
    )

  const lists = program.command('lists').description('Sanctions lists: import snapshots, show status')
  lists
    .command('import <pathOrUrl>')
    .description(
      'Import a list file, an OFAC CSV directory or a URL as a new snapshot (diffed against the active one)',
    )
    .option('--format <format>', `one of ${LIST_FORMATS.join(', ')} (default: detected)`)
    .option('--no-rescreen', 'do not rescreen stored subjects against added/changed entries')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print the result as JSON')
    .action(
      async (path: string, opts: { format?: string; rescreen: boolean; tenant: string; json?: boolean }) => {
        if (opts.format && !LIST_FORMATS.includes(opts.format as ListFormat)) {
          throw new AppError(
            'SCREENING_LIST_FORMAT_UNKNOWN',
            'invalid',
            `--format must be one of ${LIST_FORMATS.join(', ')}`,
          )
        }
        const bar = new cliProgress.SingleBar(
          {
            format: 'import [{bar}] {percentage}% | {value}/{total} entries | {stage}',
            hideCursor: true,
            stream: process.stderr,
            noTTYOutput: true,
            notTTYSchedule: 1000,
          },
          cliProgress.Presets.shades_classic,
        )
        const result = await withServices(async (s) => {
          const source = /^https?:\/\//.test(path) ? await fetchSource(path) : readListSource(path)
          bar.start(1, 0, { stage: 'parsing' })
          try {
            return await s.screening.importList(opts.tenant, source, {
              ...(opts.format ? { format: opts.format as ListFormat } : {}),
              rescreen: opts.rescreen,
              onParsed: (n) => {
                bar.setTotal(Math.max(n, 1))
                bar.update(0, { stage: 'diffing and storing' })
              },
              onProgress: (done) => bar.update(done, { stage: 'diffing and storing' }),
            })
          } finally {
            bar.stop()
          }
        })
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`)
          return
        }
        for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`)
        if (result.unchanged) {
          process.stdout.write(
            `${result.listId}: unchanged (same file as active snapshot ${result.snapshotId})\n`,
          )
          return
        }
        process.stdout.write(
          `${result.listId}: snapshot ${result.snapshotId} active — ${result.entryCount} entries, +${result.added} added, -${result.removed} removed, ~${result.changed} changed\n`,
        )
        if (result.rescreen) {
          const r = result.rescreen
          process.stdout.write(
            `rescreened ${r.subjects} subject(s) against ${r.entries} entries: ${r.hits} hit(s), ${r.alertsCreated} new alert(s)\n`,
          )
        }
      },
    )

  lists
    .command('status')
    .description('Show the active snapshot of every loaded list')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const rows = await withServices((s) => s.screening.listStatus(opts.tenant))
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`)
        return
      }
      if (rows.length === 0) process.stdout.write('no list loaded\n')
      for (const r of rows) {
        process.stdout.write(
          `${r.listId.padEnd(10)} ${r.entryCount} entries  snapshot ${r.snapshotId}  imported ${r.importedAt.toISOString()}  (+${r.added} -${r.removed} ~${r.changed})  ${r.format}  ${r.source}\n`,
        )
      }
    })
}
