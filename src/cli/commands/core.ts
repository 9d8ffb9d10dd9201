import type { Command } from 'commander'
import { describeConfig, loadConfig } from '../../config.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { CLI_GRANTOR, isRole, ROLES } from '../../modules/auth/index.js'
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
    .option(
      '--scopes <list>',
      'comma-separated scopes (default *); vault:detokenize is issued only here or by the platform owner',
    )
    .option('--name <name>', 'what the key is for', 'cli')
    .option('--role <role>', `a role whose permissions the key also holds: ${ROLES.join(', ')}`)
    .description('Create an API key for a tenant (creating the tenant if needed) and print it once')
    .action(async (opts: { tenant: string; scopes?: string; name: string; role?: string }) => {
      const role = opts.role
      if (role !== undefined && !isRole(role)) {
        process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`)
        process.exitCode = 2
        return
      }
      await withServices(async (s) => {
        await s.platform.ensureTenant(opts.tenant, opts.tenant)
        if (opts.scopes === undefined && role === undefined) {
          process.stdout.write(`${await s.platform.createApiKey(opts.tenant)}\n`)
          return
        }
        const scopes = (opts.scopes ?? '')
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
        // the CLI runs on the server: it acts as the platform owner (audited as `cli`)
        const key = await s.auth.apiKeys.create(
          opts.tenant,
          { name: opts.name, scopes, ...(role ? { role } : {}) },
          CLI_GRANTOR,
        )
        await s.audit.flush()
        process.stdout.write(`${key.key}\n`)
        process.stderr.write(`${key.id}: ${[...key.scopes, ...(role ? [`role ${role}`] : [])].join(', ')}\n`)
      })
    })
}
