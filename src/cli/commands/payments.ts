import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { PAYMENT_STATUSES, type PaymentStatus, type RoutingRule } from '../../modules/payments/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { invalid } from '../../shared/errors.js'
import { withServices } from '../context.js'
import { jsonText as json } from '../output.js'
import { registerStrayChargeCommands } from './stray-charges.js'

/** Rules as the API takes them (amounts as integer strings), from a JSON file. */
function readRules(path: string): RoutingRule[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { rules?: unknown }
  const rules = Array.isArray(parsed) ? parsed : parsed.rules
  if (!Array.isArray(rules))
    throw invalid('PAYMENT_ROUTING_RULE_INVALID', `${path} must hold {"rules": [...]}.`)
  return rules.map((raw) => {
    const r = raw as Omit<RoutingRule, 'match'> & { match: Record<string, unknown> }
    const bound = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? BigInt(v) : undefined)
    const { minAmount, maxAmount, ...rest } = r.match
    const min = bound(minAmount)
    const max = bound(maxAmount)
    return {
      ...r,
      match: {
        ...rest,
        ...(min !== undefined ? { minAmount: min } : {}),
        ...(max !== undefined ? { maxAmount: max } : {}),
      },
    }
  })
}

export function registerPaymentCommands(program: Command): void {
  const payments = program
    .command('payments')
    .description('Payments: inspect, sweep, stray charges, routing rules')
  registerStrayChargeCommands(payments)

  payments
    .command('list')
    .description('List payments, oldest first')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--status <status>', `one of ${PAYMENT_STATUSES.join(', ')}`)
    .option('--customer <id>', 'only this customer')
    .option('--gateway <name>', 'only this gateway')
    .option('--limit <n>', 'at most n (1–1000)', '100')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        tenant: string
        status?: string
        customer?: string
        gateway?: string
        limit: string
        json?: boolean
      }) => {
        if (opts.status && !(PAYMENT_STATUSES as readonly string[]).includes(opts.status))
          throw invalid('INVALID_STATUS', `--status must be one of ${PAYMENT_STATUSES.join(', ')}.`)
        const page = await withServices((s) =>
          s.payments.queries.list(opts.tenant, {
            ...(opts.status ? { status: opts.status as PaymentStatus } : {}),
            ...(opts.customer ? { customer: opts.customer } : {}),
            ...(opts.gateway ? { gateway: opts.gateway } : {}),
            limit: Number(opts.limit),
          }),
        )
        if (opts.json) return void process.stdout.write(json(page.items))
        for (const p of page.items) {
          process.stdout.write(
            `${p.id}  ${p.status.padEnd(21)} ${p.amount} ${p.currency}  captured=${p.amountCaptured} refunded=${p.amountRefunded}  ${p.gateway ?? '-'}\n`,
          )
        }
        process.stdout.write(
          `${page.items.length} payment(s)${page.next ? `; more after ${page.next}` : ''}\n`,
        )
      },
    )

  payments
    .command('get <id>')
    .description('Print a payment with its refunds, gateway attempts and stray charges')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (id: string, opts: { tenant: string }) => {
      const out = await withServices(async (s) => ({
        ...(await s.payments.queries.get(opts.tenant, id)),
        refunds: await s.payments.queries.listRefunds(opts.tenant, id),
        attempts: await s.payments.queries.attempts(opts.tenant, id),
        strayCharges: await s.payments.queries.listStrayCharges(opts.tenant, id),
      }))
      process.stdout.write(json(out))
    })

  payments
    .command('sweep')
    .description(
      'Ask the gateways about payments in unknown / processing states, lost refund and payout answers and late requests in doubt, and reverse stray charges now (the server does this continuously)',
    )
    .option('--tenant <id...>', "only these tenants' (default: every tenant's)")
    .action(async (opts: { tenant?: string[] }) => {
      const scope = opts.tenant ? { tenants: opts.tenant } : undefined
      const n = await withServices((s) => s.payments.sweeper.sweep(scope))
      process.stdout.write(`sweep: ${n} settled\n`)
    })

  const routing = payments.command('routing').description("A tenant's gateway routing rules")
  routing
    .command('get')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (opts: { tenant: string }) => {
      process.stdout.write(
        json({ rules: await withServices((s) => s.payments.routing.routingRules(opts.tenant)) }),
      )
    })
  routing
    .command('set <file>')
    .description('Replace the rules with those in a JSON file ({"rules": [...]}, as PUT /v1/routing-rules)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (file: string, opts: { tenant: string }) => {
      const rules = readRules(file)
      const saved = await withServices((s) => s.payments.routing.setRoutingRules(opts.tenant, rules))
      process.stdout.write(`routing: ${saved.length} rule(s) set\n`)
    })
}
