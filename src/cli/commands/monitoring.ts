import { createReadStream, createWriteStream, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Command } from 'commander'
import {
  defaultRuleSet,
  generateTransactions,
  GENERATOR_CONFIGS,
  type SchemeRanges,
  type MonTxn,
  type RuleSetDef,
  type RuleSetReport,
} from '../../modules/monitoring/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { AppError } from '../../shared/errors.js'
import { withServices } from '../context.js'
import { registerMonitoringImport } from './monitoring-import.js'
import { cliInvalid as bad } from '../output.js'

function int(value: string, name: string, min = 0): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw bad(`${name} must be an integer ≥ ${min}, got "${value}".`)
  return n
}

function date(value: string, name: string): Date {
  const d = new Date(value)
  if (Number.isNaN(d.getTime()))
    throw bad(`${name} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z.`)
  return d
}

function rangesOf(name: string | undefined): SchemeRanges {
  if (name === undefined) return GENERATOR_CONFIGS.classic.ranges
  // every configuration the generator knows, so a new held-out set needs no change here
  if (!Object.hasOwn(GENERATOR_CONFIGS, name))
    throw bad(`--config must be one of ${Object.keys(GENERATOR_CONFIGS).join(', ')}.`)
  return GENERATOR_CONFIGS[name as keyof typeof GENERATOR_CONFIGS].ranges
}

/** A rule set from a JSON file, or the built-in typology pack with --default. */
function readRuleSet(file: string | undefined, useDefault: boolean | undefined): RuleSetDef {
  if (useDefault) return defaultRuleSet()
  if (!file) throw bad('Give a rule-set JSON file, or --default for the built-in typology pack.')
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw bad(`Cannot read ${file} as JSON: ${(e as Error).message}`)
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { rules?: unknown }).rules)) {
    throw bad(`${file} must hold an object with a "rules" array.`)
  }
  return parsed as RuleSetDef
}

/** NDJSON transaction: the generator's output format (amount as an integer string). */
const txnToJson = (t: MonTxn): string =>
  JSON.stringify({ ...t, at: new Date(t.at).toISOString(), amount: t.amount.toString() })

function txnFromJson(line: string, n: number): MonTxn {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(line) as Record<string, unknown>
  } catch {
    throw bad(`line ${n}: not JSON`)
  }
  if (typeof o.amount !== 'string' || !/^[1-9][0-9]*$/.test(o.amount))
    throw bad(`line ${n}: amount must be an integer string`)
  if (typeof o.at !== 'string' || Number.isNaN(Date.parse(o.at)))
    throw bad(`line ${n}: at must be an ISO time`)
  return { ...(o as unknown as MonTxn), at: Date.parse(o.at), amount: BigInt(o.amount) }
}

function printReport(label: string, r: RuleSetReport): void {
  process.stdout.write(
    `${label} v${r.version}: ${r.alerts} alerts; outcomes allow ${r.outcomes.allow}, review ${r.outcomes.review}, block ${r.outcomes.block}\n`,
  )
  const hits = Object.entries(r.hitsByRule).sort((a, b) => b[1] - a[1])
  for (const [rule, n] of hits.slice(0, 15)) process.stdout.write(`    ${String(n).padStart(8)}  ${rule}\n`)
  if (r.labels) {
    const l = r.labels
    process.stdout.write(
      `  labels: recall ${(l.recall * 100).toFixed(1)} % (${l.detected}/${l.cases} cases), precision ${(l.precision * 100).toFixed(1)} % (${l.truePositives}/${l.truePositives + l.falsePositives} alerts)\n`,
    )
  }
  if (r.customers) {
    const c = r.customers
    process.stdout.write(
      `  customers: precision ${(c.precision * 100).toFixed(1)} % (${c.truePositives}/${c.alerted} alerted customers)\n`,
    )
    for (const [t, v] of Object.entries(c.recallByTypology))
      process.stdout.write(
        `    recall    ${t.padEnd(24)} ${(v.recall * 100).toFixed(1).padStart(6)} % (${v.detected}/${v.suspicious})\n`,
      )
    for (const [t, v] of Object.entries(c.precisionByTypology))
      process.stdout.write(
        `    precision ${t.padEnd(24)} ${(v.precision * 100).toFixed(1).padStart(6)} % (${v.truePositives}/${v.alerted})\n`,
      )
  }
  if (r.alerted.length > 0) {
    process.stdout.write(`  alerted${r.alertedTruncated ? ` (first ${r.alerted.length})` : ''}:\n`)
    for (const a of r.alerted)
      process.stdout.write(
        `    ${a.at}  ${a.subject.padEnd(14)} ${a.ruleId.padEnd(36)} ${a.cases.length > 0 ? a.cases.join(',') : '-'}\n`,
      )
  }
}

export function registerMonitoringCommands(program: Command): void {
  program
    .command('generate')
    .description('Generate synthetic data')
    .command('transactions')
    .description('AMLSim-style transactions: ordinary customers with planted, labelled typologies')
    .option('--customers <n>', 'number of customers', '1000')
    .option('--days <n>', 'number of days', '30')
    .option('--seed <n>', 'random seed (same seed, same data)', '1')
    .option('--start <date>', 'first day (UTC)', '2026-01-01')
    .option('--out <file>', 'write the transactions as NDJSON to this file')
    .option('--labels <file>', 'write the planted cases (labels) as JSON to this file')
    .option('--parties <file>', 'write the account holders as JSON to this file')
    .option(
      '--config <name>',
      `parameter ranges: ${Object.keys(GENERATOR_CONFIGS).join(', ')} (classic is the default; the others draw realistic variants and look-alikes)`,
    )
    .option('--load', 'store transactions, parties, labels and lists in the database (for backtests)')
    .option(
      '--load-parties',
      'store only parties, labels and lists (then evaluate the file with `moneta monitor`)',
    )
    .option('--tenant <id>', 'tenant id (with --load / --load-parties)', DEFAULT_TENANT)
    .action(
      async (opts: {
        customers: string
        days: string
        seed: string
        start: string
        out?: string
        labels?: string
        parties?: string
        config?: string
        load?: boolean
        loadParties?: boolean
        tenant: string
      }) => {
        const data = generateTransactions({
          customers: int(opts.customers, '--customers', 1),
          days: int(opts.days, '--days', 1),
          seed: int(opts.seed, '--seed'),
          start: date(opts.start, '--start').getTime(),
          ranges: rangesOf(opts.config),
        })
        const byType = new Map<string, number>()
        for (const c of data.cases) byType.set(c.typology, (byType.get(c.typology) ?? 0) + 1)
        process.stdout.write(
          `${data.txns.length} transactions, ${data.parties.length} parties, ${data.cases.length} planted cases (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')})\n`,
        )
        if (opts.out) {
          const out = createWriteStream(opts.out)
          for (const t of data.txns)
            if (!out.write(`${txnToJson(t)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()))
          await new Promise<void>((resolve, reject) =>
            out.end((e?: Error | null) => (e ? reject(e) : resolve())),
          )
          process.stdout.write(`wrote ${opts.out}\n`)
        }
        if (opts.labels) {
          createWriteStream(opts.labels).end(JSON.stringify(data.cases, null, 1))
          process.stdout.write(`wrote ${opts.labels}\n`)
        }
        if (opts.parties) {
          createWriteStream(opts.parties).end(JSON.stringify(data.parties, null, 1))
          process.stdout.write(`wrote ${opts.parties}\n`)
        }
        if (opts.load || opts.loadParties) {
          await withServices(async (s) => {
            await s.platform.ensureTenant(opts.tenant, opts.tenant)
            const m = s.monitoring
            await m.saveList(opts.tenant, 'high_risk_countries', data.highRiskCountries)
            if (!(await m.lists(opts.tenant)).some((l) => l.name === 'watchlist'))
              await m.saveList(opts.tenant, 'watchlist', [])
            const r = await m.importHistory(opts.tenant, {
              txns: opts.load ? data.txns : [],
              parties: data.parties,
              labels: data.cases,
            })
            process.stdout.write(
              `loaded ${data.parties.length} parties, ${data.cases.length} labels and ${r.transactions} new transactions into tenant ${opts.tenant}\n`,
            )
          })
        }
      },
    )

  const rules = program.command('rules').description('Monitoring rule sets (CEL): draft → shadow → active')
  rules
    .command('list')
    .description('List rule-set versions')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (opts: { tenant: string }) =>
      withServices(async (s) => {
        const all = await s.monitoring.listRuleSets(opts.tenant)
        if (all.length === 0)
          process.stdout.write('no rule sets; save one with `moneta rules save FILE` or `--default`\n')
        for (const r of all) {
          process.stdout.write(
            `v${r.version}  ${r.status.padEnd(7)}  ${String(r.definition.rules.length).padStart(3)} rules  ${r.createdAt.toISOString()}${r.note ? `  ${r.note}` : ''}\n`,
          )
        }
      }),
    )

  rules
    .command('validate [file]')
    .description('Check a rule set: syntax, unknown features and lists, with positions')
    .option('--default', 'validate the built-in typology pack')
    .option('--tenant <id>', 'tenant id (its lists are known)', DEFAULT_TENANT)
    .action(async (file: string | undefined, opts: { default?: boolean; tenant: string }) =>
      withServices(async (s) => {
        const def = readRuleSet(file, opts.default)
        const problems = await s.monitoring.validateRuleSet(opts.tenant, def)
        if (problems.length === 0) {
          process.stdout.write(`valid: ${def.rules.length} rules\n`)
          return
        }
        for (const p of problems) {
          const where = p.position ? ` (line ${p.position.line}, column ${p.position.column})` : ''
          process.stdout.write(`${p.ruleId} ${p.field}${where}: ${p.message}\n`)
          const rule = def.rules[p.index]
          if (p.position && rule) {
            const line = rule.when.split('\n')[p.position.line - 1] ?? ''
            process.stdout.write(`    ${line}\n    ${' '.repeat(Math.max(0, p.position.column - 1))}^\n`)
          }
        }
        throw new AppError(
          'MONITORING_RULE_INVALID',
          'invalid',
          `${problems.length} problem(s) in the rule set`,
        )
      }),
    )

  rules
    .command('save [file]')
    .description('Save a rule set as a new draft version')
    .option('--default', 'save the built-in typology pack (50 rules)')
    .option('--note <text>', 'a note for this version')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (file: string | undefined, opts: { default?: boolean; note?: string; tenant: string }) =>
      withServices(async (s) => {
        const def = readRuleSet(file, opts.default)
        await s.platform.ensureTenant(opts.tenant, opts.tenant)
        if (opts.default) {
          // the pack reads these lists: create them empty if the tenant has none yet
          const have = new Set((await s.monitoring.lists(opts.tenant)).map((l) => l.name))
          for (const name of ['high_risk_countries', 'watchlist'])
            if (!have.has(name)) await s.monitoring.saveList(opts.tenant, name, [])
        }
        const r = await s.monitoring.saveRuleSet(opts.tenant, def, opts.note ? { note: opts.note } : {})
        process.stdout.write(`saved v${r.version} (${r.status}, ${def.rules.length} rules)\n`)
      }),
    )

  rules
    .command('export-default')
    .description('Print the built-in typology pack as JSON (a starting point for your own rule set)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(defaultRuleSet(), null, 2)}\n`)
    })

  for (const [name, status, what] of [
    ['activate', 'active', 'Make a version active (retires the previous active one)'],
    ['shadow', 'shadow', 'Evaluate a draft in shadow next to the active set'],
    ['retire', 'retired', 'Retire a version'],
  ] as const) {
    rules
      .command(`${name} <version>`)
      .description(what)
      .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
      .action(async (version: string, opts: { tenant: string }) =>
        withServices(async (s) => {
          const r = await s.monitoring.transition(opts.tenant, int(version, 'version', 1), status)
          process.stdout.write(`v${r.version} is now ${r.status}\n`)
        }),
      )
  }

  program
    .command('backtest <version>')
    .description('Replay stored history through a rule-set version and compare with the active one')
    .requiredOption('--from <date>', 'start of the range (UTC)')
    .requiredOption('--to <date>', 'end of the range (UTC, exclusive)')
    .option('--no-compare', 'do not compare with the active set')
    .option('--warmup-days <n>', 'history before --from replayed only to warm up features', '90')
    .option('--json', 'print the full report as JSON')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(
      async (
        version: string,
        opts: {
          from: string
          to: string
          compare: boolean
          warmupDays: string
          json?: boolean
          tenant: string
        },
      ) =>
        withServices(async (s) => {
          const report = await s.monitoring.backtest(opts.tenant, {
            version: int(version, 'version', 1),
            from: date(opts.from, '--from'),
            to: date(opts.to, '--to'),
            compare: opts.compare,
            warmupDays: int(opts.warmupDays, '--warmup-days'),
          })
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
            return
          }
          process.stdout.write(
            `${report.transactions} transactions replayed (${report.warmup} for warm-up), ${report.from} → ${report.to}\n`,
          )
          printReport('draft ', report.draft)
          if (report.active) printReport('active', report.active)
          if (report.diff) {
            process.stdout.write(
              `alerts only in draft ${report.diff.onlyDraft}, only in active ${report.diff.onlyActive}, in both ${report.diff.both}\n`,
            )
          }
        }),
    )

  const alerts = program.command('alerts').description('Monitoring alerts')
  alerts
    .command('list')
    .description('List alerts, newest first')
    .option('--rule <id>', 'only this rule')
    .option('--subject <account>', 'only this account')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print as JSON (with full context)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(
      async (opts: { rule?: string; subject?: string; limit: string; json?: boolean; tenant: string }) =>
        withServices(async (s) => {
          const list = await s.monitoring.listAlerts(opts.tenant, {
            ...(opts.rule ? { ruleId: opts.rule } : {}),
            ...(opts.subject ? { subject: opts.subject } : {}),
            limit: int(opts.limit, '--limit', 1),
          })
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
            return
          }
          if (list.length === 0) process.stdout.write('no alerts\n')
          for (const a of list) {
            process.stdout.write(
              `${a.at.toISOString()}  ${a.alertId}  ${a.outcome.padEnd(6)}  ${a.ruleId}  ${a.subject}  hits ${a.hits}  ${a.reason}\n`,
            )
          }
        }),
    )

  program
    .command('monitor <file>')
    .description(
      'Evaluate an NDJSON file of transactions (e.g. from `generate transactions --out`) through the active rule set',
    )
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (file: string, opts: { tenant: string }) =>
      withServices(async (s) => {
        const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
        let batch: MonTxn[] = []
        let n = 0
        const total = { evaluated: 0, replayed: 0, alerts: 0 }
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return
          const r = await s.monitoring.ingest(opts.tenant, batch)
          total.evaluated += r.evaluated
          total.replayed += r.replayed
          total.alerts += r.alerts
          batch = []
        }
        for await (const line of lines) {
          n++
          if (line.trim() === '') continue
          batch.push(txnFromJson(line, n))
          if (batch.length === 5000) await flush()
        }
        await flush()
        process.stdout.write(
          `evaluated ${total.evaluated}, already known ${total.replayed}, new alerts ${total.alerts}\n`,
        )
      }),
    )
  registerMonitoringImport(program, txnFromJson)
}
