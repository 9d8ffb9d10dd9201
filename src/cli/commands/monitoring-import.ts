import { createReadStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import type { CaseLabel, MonTxn, Party } from '../../modules/monitoring/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

function readJsonArray(file: string, what: string): Record<string, unknown>[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw bad(`Cannot read ${file} as JSON: ${(e as Error).message}`)
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => x && typeof x === 'object'))
    throw bad(`${file} must hold a JSON array of ${what}.`)
  return parsed as Record<string, unknown>[]
}

/** Epoch milliseconds or an ISO-8601 string. */
function time(v: unknown, where: string): number {
  const t = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN
  if (!Number.isFinite(t)) throw bad(`${where} must be epoch milliseconds or an ISO time.`)
  return t
}

const strings = (v: unknown, where: string): string[] => {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw bad(`${where} must be an array of account ids.`)
  return v
}

/** Labels as `generate transactions --labels` writes them (extra fields such as txnIds are ignored). */
export function labelsFromJson(rows: Record<string, unknown>[]): CaseLabel[] {
  return rows.map((r, i) => ({
    id: String(r.id),
    typology: String(r.typology),
    members: strings(r.members, `label ${i}: members`),
    primary: strings(r.primary, `label ${i}: primary`),
    start: time(r.start, `label ${i}: start`),
    end: time(r.end, `label ${i}: end`),
  }))
}

const partiesFromJson = (rows: Record<string, unknown>[]): Party[] =>
  rows.map((r, i) => ({ ...(r as unknown as Party), openedAt: time(r.openedAt, `party ${i}: openedAt`) }))

/**
 * `moneta monitoring import --labels FILE [--transactions FILE.ndjson] [--parties FILE.json]`:
 * loads labelled history the way a user has it (files), without evaluating it — no alert is
 * raised; backtests then score rule sets against the labels.
 */
export function registerMonitoringImport(
  program: Command,
  txnFromJson: (line: string, n: number) => MonTxn,
): void {
  const monitoring = program.commands.find((c) => c.name() === 'monitoring') ?? program.command('monitoring')
  monitoring.description('Transaction monitoring data')
  monitoring
    .command('import')
    .description(
      'Load labelled history (labels, and optionally transactions and parties) without raising alerts',
    )
    .requiredOption(
      '--labels <file>',
      'JSON array of labelled cases (the format `generate transactions --labels` writes)',
    )
    .option('--transactions <file>', 'NDJSON transactions (the format `generate transactions --out` writes)')
    .option('--parties <file>', 'JSON array of account holders (id, segment, country, risk, openedAt)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (opts: { labels: string; transactions?: string; parties?: string; tenant: string }) => {
      const labels = labelsFromJson(readJsonArray(opts.labels, 'labelled cases'))
      const parties = opts.parties ? partiesFromJson(readJsonArray(opts.parties, 'parties')) : undefined
      await withServices(async (s) => {
        let stored = 0
        let read = 0
        if (opts.transactions) {
          const lines = createInterface({ input: createReadStream(opts.transactions), crlfDelay: Infinity })
          let batch: MonTxn[] = []
          for await (const line of lines) {
            read++
            if (line.trim() === '') continue
            batch.push(txnFromJson(line, read))
            if (batch.length === 5000) {
              stored += (await s.monitoring.importHistory(opts.tenant, { txns: batch })).transactions
              batch = []
            }
          }
          if (batch.length > 0)
            stored += (await s.monitoring.importHistory(opts.tenant, { txns: batch })).transactions
        }
        await s.monitoring.importHistory(opts.tenant, { txns: [], labels, ...(parties ? { parties } : {}) })
        process.stdout.write(
          `imported ${labels.length} labels, ${parties?.length ?? 0} parties and ${stored} new transactions into tenant ${opts.tenant} (no alerts raised)\n`,
        )
      })
    })
}
