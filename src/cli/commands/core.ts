import type { Command } from 'commander'
import { describeConfig, loadConfig } from '../../config.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { start } from '../../main.js'
import { withServices } from '../context.js'

export function registerCoreCommands(program: Command): void {
  program
    .command('start')
    .description('Start the API and background workers')
    .action(async () => start())

  program
    .command('migrate')
    .description('Apply database migrations (also done on start)')
    .action(async () =>
      withServices(() => {
        process.stdout.write('migrations applied\n')
        return Promise.resolve()
      }),
    )

  program
    .command('config')
    .description('Print the effective configuration (secrets redacted)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(describeConfig(loadConfig()), null, 2)}\n`)
    })

  const apikeys = program.command('apikeys').description('Manage API keys')
  apikeys
    .command('create')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .description('Create an API key for a tenant (creating the tenant if needed) and print it once')
    .action(async (opts: { tenant: string }) =>
      withServices(async (s) => {
        await s.platform.ensureTenant(opts.tenant, opts.tenant)
        process.stdout.write(`${await s.platform.createApiKey(opts.tenant)}\n`)
      }),
    )
}
