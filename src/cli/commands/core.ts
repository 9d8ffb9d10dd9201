import type { Command } from 'commander'
import { describeConfig, loadConfig } from '../../config.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { CLI_GRANTOR, isRole, ROLES } from '../../modules/auth/index.js'
import { start } from '../../main.js'
import { startIntake } from '../../intake.js'
import { withServices } from '../context.js'

export function registerCoreCommands(program: Command): void {
  program
    .command('start')
    .description('Start the API and background workers')
    .action(async () => start())

  program
    .command('intake')
    .description(
      'Receive gateway webhooks only (POST /v1/webhooks/:gateway, /health, /metrics), in N processes on their own port; `moneta worker` applies them',
    )
    .option('--processes <n>', 'processes sharing the port (default MONETA_INTAKE_PROCESSES, 1)')
    .option('--port <n>', 'port (default MONETA_INTAKE_PORT, 4001)')
    .action(async (opts: { processes?: string; port?: string }) => {
      const processes = opts.processes === undefined ? undefined : Number(opts.processes)
      const port = opts.port === undefined ? undefined : Number(opts.port)
      if (processes !== undefined && !(Number.isInteger(processes) && processes >= 1 && processes <= 64)) {
        process.stderr.write('--processes must be a whole number from 1 to 64\n')
        process.exitCode = 2
        return
      }
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
        process.stderr.write('--port must be a port number (0-65535)\n')
        process.exitCode = 2
        return
      }
      // Several processes, and a process beside `moneta start`, cannot share one embedded PGlite.
      if (!loadConfig().databaseUrl) {
        process.stderr.write(
          'moneta intake needs PostgreSQL (DATABASE_URL): PGlite is one process’s database\n',
        )
        process.exitCode = 2
        return
      }
      await startIntake({ processes, port })
    })

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
