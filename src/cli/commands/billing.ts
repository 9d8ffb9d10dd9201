import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { billingError } from '../../modules/billing/index.js'
import { withServices } from '../context.js'

/** "2027-01-01" is that day's midnight UTC; anything else must be an ISO 8601 instant. */
function instant(value: string): Date {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  if (Number.isNaN(d.getTime()))
    throw billingError('BILLING_INVALID', '--until must be a date (2027-01-01) or an ISO 8601 time')
  return d
}

export function registerBillingCommands(program: Command): void {
  const billing = program.command('billing').description('Recurring billing: runs, the test clock')
  billing
    .command('run')
    .description(
      'Renew, retry and recognise revenue for everything due. With --until, the tenant gets a test clock moved to that time (forward only) first',
    )
    .option(
      '--until <date>',
      'move the test clock to this time (2027-01-01 or an ISO 8601 time) and run up to it',
    )
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (opts: { until?: string; tenant: string }) => {
      const actor = { actor: 'cli', origin: 'cli' }
      const report = await withServices(async (s) =>
        opts.until
          ? s.billing.scheduler.runTestClock(opts.tenant, instant(opts.until), actor)
          : s.billing.scheduler.run(opts.tenant, await s.billing.scheduler.now(opts.tenant), actor),
      )
      process.stdout.write(`${JSON.stringify(report)}\n`)
    })
}
