import type { Command } from 'commander'
import type { AppServices } from '../../app.js'
import { CLI_GRANTOR, generatePassword, isRole, ROLES, type Operator } from '../../modules/auth/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { AppError } from '../../shared/errors.js'
import { withServices } from '../context.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

async function byEmail(s: AppServices, email: string, tenant?: string): Promise<Operator> {
  const op = await s.auth.findOperator({ email, tenant })
  if (!op) {
    throw new AppError(
      'OPERATOR_NOT_FOUND',
      'not_found',
      `No active operator with email ${email}${tenant ? ` in ${tenant}` : ' (in several tenants? add --tenant)'}.`,
    )
  }
  return op
}

const TENANT_OPTION = [
  '--tenant <id>',
  'tenant (needed when the email is an operator of several tenants)',
] as const

function badRole(role: string): boolean {
  if (isRole(role)) return false
  process.stderr.write(`role must be one of ${ROLES.join(', ')}\n`)
  process.exitCode = 2
  return true
}

const line = (o: Operator): string =>
  `${o.id}  ${o.email.padEnd(32)} ${o.role.padEnd(9)} mfa:${o.mfaEnrolled ? 'yes' : 'no '}  ${
    o.lockedUntil ? `locked until ${o.lockedUntil.toISOString()}` : 'active'
  }\n`

/** `moneta operators create|list|unlock|reset-mfa`: console and API users (docs/security.md). */
export function registerOperatorCommands(program: Command): void {
  const ops = program
    .command('operators')
    .description('Operators: create, list, unlock, reset MFA, disable, change role or password')

  ops
    .command('create')
    .description('Create an operator; without a password option a strong one is generated and printed once')
    .requiredOption('--email <email>', 'sign-in email (unique within the tenant)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--password-stdin', 'read the password from standard input')
    .action(async (opts: { email: string; role: string; tenant: string; passwordStdin?: boolean }) => {
      const role = opts.role
      if (badRole(role) || !isRole(role)) return
      const typed = opts.passwordStdin ? await readStdin() : undefined
      await withServices(async (s) => {
        const generated = typed === undefined ? generatePassword(s.config.auth.passwordMinLength) : undefined
        const password = typed ?? generated!
        // A fresh install has its default tenant only once the server has started; create it here too.
        if (opts.tenant === DEFAULT_TENANT) await s.platform.ensureTenant(DEFAULT_TENANT, 'Default tenant')
        const op = await s.auth.createOperator(
          opts.tenant,
          { email: opts.email, password, role },
          CLI_GRANTOR,
        )
        await s.audit.flush()
        process.stdout.write(line(op))
        if (generated) process.stdout.write(`password (shown once): ${generated}\n`)
        if (role !== 'auditor' && role !== 'read_only') {
          process.stdout.write('this role must enrol two-factor sign-in at its first sign-in\n')
        }
      })
    })

  ops
    .command('list')
    .description("List a tenant's operators")
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--json', 'print JSON')
    .action(async (opts: { tenant: string; json?: boolean }) =>
      withServices(async (s) => {
        const list = await s.auth.listOperators(opts.tenant)
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
          return
        }
        for (const o of list) process.stdout.write(line(o))
        if (list.length === 0) process.stdout.write('no operators\n')
      }),
    )

  ops
    .command('unlock <email>')
    .description('Lift a sign-in lockout and clear the failure count')
    .option(...TENANT_OPTION)
    .action(async (email: string, opts: { tenant?: string }) =>
      withServices(async (s) => {
        const op = await byEmail(s, email, opts.tenant)
        await s.auth.unlockOperator(op.tenantId, op.id, 'cli')
        await s.audit.flush()
        process.stdout.write(`unlocked ${op.email}\n`)
      }),
    )

  ops
    .command('reset-mfa <email>')
    .description('Remove two-factor sign-in (lost phone) and end the sessions; the operator enrols again')
    .option(...TENANT_OPTION)
    .action(async (email: string, opts: { tenant?: string }) =>
      withServices(async (s) => {
        const op = await byEmail(s, email, opts.tenant)
        await s.auth.resetMfa(op.tenantId, op.id, 'cli')
        await s.audit.flush()
        process.stdout.write(`two-factor sign-in removed for ${op.email}; sessions ended\n`)
      }),
    )

  ops
    .command('disable <email>')
    .description('Offboard: disable the operator, end every session, revoke every API key they created')
    .option(...TENANT_OPTION)
    .action(async (email: string, opts: { tenant?: string }) =>
      withServices(async (s) => {
        const op = await byEmail(s, email, opts.tenant)
        const r = await s.auth.disableOperator(op.tenantId, op.id, CLI_GRANTOR)
        await s.audit.flush()
        process.stdout.write(
          `disabled ${op.email}; ${r.sessions} session(s) ended, ${r.apiKeys} API key(s) revoked\n`,
        )
      }),
    )

  ops
    .command('role <email> <role>')
    .description(`Change an operator's role (${ROLES.join(', ')}); ends their sessions`)
    .option(...TENANT_OPTION)
    .action(async (email: string, role: string, opts: { tenant?: string }) => {
      if (badRole(role) || !isRole(role)) return
      await withServices(async (s) => {
        const op = await byEmail(s, email, opts.tenant)
        const changed = await s.auth.changeRole(op.tenantId, op.id, role, CLI_GRANTOR)
        await s.audit.flush()
        process.stdout.write(line(changed))
      })
    })

  ops
    .command('password <email>')
    .description(
      'Set a new password (a strong one is generated and printed once unless --password-stdin); ends the sessions',
    )
    .option(...TENANT_OPTION)
    .option('--password-stdin', 'read the password from standard input')
    .action(async (email: string, opts: { tenant?: string; passwordStdin?: boolean }) => {
      const typed = opts.passwordStdin ? await readStdin() : undefined
      await withServices(async (s) => {
        const generated = typed === undefined ? generatePassword(s.config.auth.passwordMinLength) : undefined
        const password = typed ?? generated!
        const op = await byEmail(s, email, opts.tenant)
        await s.auth.resetPassword(op.tenantId, op.id, password, CLI_GRANTOR)
        await s.audit.flush()
        process.stdout.write(`password of ${op.email} set; sessions ended\n`)
        if (generated) process.stdout.write(`password (shown once): ${generated}\n`)
      })
    })
}
