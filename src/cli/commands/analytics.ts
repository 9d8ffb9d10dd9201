import type { Command } from 'commander'
import { writeRows, type EngineName, type OutputFormat } from '../../modules/analytics/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

/** `--params k=v k=v` or `--params k=v,k=v` into an object. */
function parseParams(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of (list ?? []).flatMap((x) => x.split(','))) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw bad(`--params takes key=value pairs, got "${item}".`)
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim()
  }
  return out
}

/** `moneta analytics export | status | queries | query NAME` (docs/analytics.md). */
export function registerAnalyticsCommands(program: Command): Command {
  const analytics = program
    .command('analytics')
    .description('Fraud analytics: Parquet export and DuckDB queries')

  analytics
    .command('export')
    .description('Export everything committed since the last export to Parquet (rounds until caught up)')
    .option('--once', 'one round only')
    .action(async (o: { once?: boolean }) =>
      withServices(async (s) => {
        let total = 0
        for (;;) {
          const round = await s.analytics.exportOnce((n) => {
            total += n
            process.stderr.write(`\rread ${total.toLocaleString('en')} rows`)
          })
          const rows = Object.values(round.rows).reduce((a, b) => a + b, 0)
          process.stderr.write('\n')
          const perDataset = Object.entries(round.rows)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
          process.stdout.write(
            `${round.resumed ? 'resumed round' : 'round'} seq (${round.from}, ${round.to}]: ${rows} rows (${perDataset}) in ${round.ms} ms → ${s.analytics.dir}\n`,
          )
          if (o.once || round.to === round.from) break
        }
      }),
    )

  analytics
    .command('compact')
    .description(
      'Fold exported day files into one sorted file per tenant and dataset (up to the watermark) and write its native DuckDB file',
    )
    .action(async () =>
      withServices(async (s) => {
        const started = Date.now()
        const r = await s.analytics.compact()
        const files = Object.entries(r.files)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')
        process.stdout.write(
          `compacted up to seq ${r.upTo}: day files folded in (${files}) in ${Date.now() - started} ms\n`,
        )
      }),
    )

  analytics
    .command('status')
    .description('The export cursor: watermark, a round in progress, rows exported')
    .action(async () =>
      withServices(async (s) => {
        const c = await s.analytics.exportStatus()
        process.stdout.write(
          `${JSON.stringify(c ? { ...c, watermark: String(c.watermark), pendingHigh: c.pendingHigh === null ? null : String(c.pendingHigh), rowsExported: String(c.rowsExported), dir: s.analytics.dir } : { exported: false, dir: s.analytics.dir })}\n`,
        )
      }),
    )

  analytics
    .command('queries')
    .description('The fraud query library and each query’s parameters')
    .action(async () =>
      withServices((s) => {
        for (const q of s.analytics.queries()) {
          process.stdout.write(`${q.name}\n  ${q.description}\n`)
          for (const [k, p] of Object.entries(q.params))
            process.stdout.write(`    ${k} (${p.type}, default ${String(p.default)}): ${p.doc}\n`)
        }
        return Promise.resolve()
      }),
    )

  analytics
    .command('query <name>')
    .description('Run a fraud query for one tenant')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--params <k=v...>', 'parameters, e.g. --params window_minutes=60 min_count=5')
    .option('--format <format>', 'table | csv | json', 'table')
    .option('--engine <engine>', 'duckdb (Parquet) | postgres (source tables, for comparison)', 'duckdb')
    .action(
      async (name: string, o: { tenant: string; params?: string[]; format: string; engine: string }) => {
        if (!['table', 'csv', 'json'].includes(o.format)) throw bad('--format is table, csv or json.')
        if (!['duckdb', 'postgres'].includes(o.engine)) throw bad('--engine is duckdb or postgres.')
        const params = parseParams(o.params)
        await withServices(async (s) => {
          const r = await s.analytics.query(name, o.tenant, params, o.engine as EngineName)
          await writeRows(r.batches, o.format as OutputFormat, (t) => process.stdout.write(t))
        })
      },
    )

  return analytics
}
