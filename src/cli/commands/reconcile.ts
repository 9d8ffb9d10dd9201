import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import type { ReconciliationLine, ReconciliationRun } from '../../modules/payments/index.js'
import { invalid } from '../../shared/errors.js'
import { withServices } from '../context.js'

const DAY_MS = 86_400_000

/** "2026-05-01" is that day's midnight UTC; anything else must be an ISO 8601 instant. */
function instant(value: string, name: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(d.getTime()))
    throw invalid(
      'RECONCILIATION_RANGE_INVALID',
      `--${name} must be a date (2026-05-01) or an ISO 8601 time.`,
    )
  return d
}

const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))

const side = (amount: bigint | undefined, currency: string | undefined): string =>
  amount === undefined ? '—' : `${amount} ${currency ?? ''}`.trim()

function printLine(l: ReconciliationLine): void {
  process.stdout.write(
    `${l.status.toUpperCase().padEnd(19)} ${l.kind.padEnd(16)} ${l.gatewayRef}  gateway=${side(l.gatewayAmount, l.gatewayCurrency)}  ledger=${side(l.ledgerAmount, l.ledgerCurrency)}${l.paymentId ? `  payment=${l.paymentId}` : ''}\n    ${l.explanation}\n`,
  )
}

function printSummary(run: ReconciliationRun): void {
  const c = run.counts
  process.stdout.write(
    `${run.id} ${run.gateway} ${run.from.toISOString()} → ${run.to.toISOString()} tenant=${run.tenantId}\n` +
      `status: ${run.status}${run.error ? ` (${run.error})` : ''} — matched ${c.matched}, missing in ledger ${c.missing_in_ledger}, ` +
      `missing at gateway ${c.missing_at_gateway}, amount mismatch ${c.amount_mismatch}, currency mismatch ${c.currency_mismatch}, ` +
      `fee mismatch ${c.fee_mismatch} (gateway records ${run.records}, ledger facts ${run.facts}, other tenants' records ${run.otherTenants}, platform-only records ${run.platformOnly})\n`,
  )
}

/** Exit codes: 0 reconciled, 1 differences found, 2 the fetch failed, 3 nothing to compare. */
const EXIT: Record<ReconciliationRun['status'], number> = {
  reconciled: 0,
  mismatched: 1,
  failed: 2,
  empty: 3,
}

export function registerReconcileCommands(program: Command): void {
  const reconcile = program
    .command('reconcile')
    .description("Match a gateway's settled funds against the ledger for a period (default: yesterday, UTC)")
    .option('--gateway <name>', 'stripe, braintree or sandbox (required)')
    .option('--from <date>', 'start, inclusive (2026-05-01 or an ISO 8601 time)')
    .option('--to <date>', 'end, exclusive')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--all', 'list matched lines too')
    .option('--json', 'print the run and its lines as JSON')
    .action(
      async (opts: {
        gateway?: string
        from?: string
        to?: string
        tenant: string
        all?: boolean
        json?: boolean
      }) => {
        const gateway = opts.gateway
        if (!gateway) throw invalid('RECONCILIATION_GATEWAY_UNKNOWN', 'Say which gateway: --gateway stripe.')
        const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
        const from = opts.from ? instant(opts.from, 'from') : new Date(today - DAY_MS)
        const to = opts.to ? instant(opts.to, 'to') : new Date(from.getTime() + DAY_MS)
        const { run, lines } = await withServices((s) =>
          s.reconciliation.run({ tenant: opts.tenant, gateway, from, to, trigger: 'cli' }),
        )
        if (opts.json) {
          process.stdout.write(`${json({ run, lines })}\n`)
        } else {
          for (const l of lines) if (opts.all || l.status !== 'matched') printLine(l)
          printSummary(run)
        }
        process.exitCode = EXIT[run.status]
      },
    )

  reconcile
    .command('list')
    .description('Past reconciliation runs, newest first')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--gateway <name>', 'only this gateway')
    .option('--limit <n>', 'how many', '20')
    .action(async (opts: { tenant: string; gateway?: string; limit: string }) => {
      const runs = await withServices((s) =>
        s.reconciliation.list(opts.tenant, {
          limit: Number(opts.limit),
          ...(opts.gateway ? { gateway: opts.gateway } : {}),
        }),
      )
      for (const run of runs) printSummary(run)
      if (runs.length === 0) process.stdout.write('no reconciliation runs\n')
    })

  reconcile
    .command('show <runId>')
    .description('One run and its differences')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (runId: string, opts: { tenant: string; json?: boolean }) => {
      const found = await withServices((s) => s.reconciliation.get(opts.tenant, runId))
      if (!found) {
        process.stderr.write(`no reconciliation run ${runId} for tenant ${opts.tenant}\n`)
        process.exitCode = 1
        return
      }
      if (opts.json) process.stdout.write(`${json(found)}\n`)
      else {
        for (const l of found.lines) printLine(l)
        printSummary(found.run)
      }
    })
}
