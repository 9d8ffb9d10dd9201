import type { Command } from 'commander'
import { CLI_GRANTOR, isRole, ROLES } from '../../modules/auth/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'

/**
 * `moneta api-keys create`: keys issued by whoever runs the server. This is the way (besides the
 * platform owner's key) to issue `vault:detokenize`, which no wildcard implies and no tenant admin can
 * hand out (docs/security.md "Card numbers").
 */
export function registerApiKeyCommands(program: Command): void {
  const keys = program.command('api-keys').description('API keys issued from the server (vault:detokenize)')

  keys
    .command('create')
    .description('Create an API key of a tenant; printed once')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--scopes <list>', 'comma-separated scopes, e.g. vault:detokenize')
    .option('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (opts: { name: string; scopes: string; role?: string; tenant: string }) => {
      const role = opts.role
      if (role !== undefined && !isRole(role)) {
        process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`)
        process.exitCode = 2
        return
      }
      const scopes = opts.scopes
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
      await withServices(async (s) => {
        const key = await s.auth.apiKeys.create(
          opts.tenant,
          { name: opts.name, scopes, ...(role ? { role } : {}) },
          CLI_GRANTOR,
        )
        await s.audit.flush()
        process.stdout.write(`${key.id}  scopes: ${key.scopes.join(', ')}\nkey (shown once): ${key.key}\n`)
      })
    })
}
