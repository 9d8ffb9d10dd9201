import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'
import { jsonText } from '../output.js'

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description('Ledger operations')
  ledger
    .command('verify')
    .description(
      'Check every invariant: transactions net to zero, balances equal their entries, totals are zero',
    )
    .option('--tenant <id>', 'only this tenant (default: all tenants)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const report = await withServices((s) => s.ledger.verify(opts.tenant))
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`)
      } else if (report.ok) {
        process.stdout.write('ledger verify: ok\n')
      } else {
        for (const v of report.violations)
          process.stdout.write(`VIOLATION ${v.kind} tenant=${v.tenantId} ref=${v.ref}: ${v.detail}\n`)
        process.stdout.write(`ledger verify: ${report.violations.length} violation(s)\n`)
      }
      process.exitCode = report.ok ? 0 : 1
    })

  ledger
    .command('expire')
    .description('Void pending transactions past their timeout now (the server does this continuously)')
    .action(async () => {
      const n = await withServices((s) => s.ledger.expirePending())
      process.stdout.write(`expired ${n} pending transaction(s)\n`)
    })

  ledger
    .command('balance <accountId>')
    .description('Print an account balance, now or as of a time')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--at <iso>', 'as of this ISO 8601 time')
    .action(async (accountId: string, opts: { tenant: string; at?: string }) => {
      const b = await withServices((s) =>
        s.ledger.balances(opts.tenant, accountId, opts.at ? new Date(opts.at) : undefined),
      )
      process.stdout.write(jsonText(b))
    })
}
