import type { Command } from 'commander'
import {
  STRAY_CHARGE_STATUSES,
  type StrayCharge,
  type StrayChargeStatus,
} from '../../modules/payments/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { operatorIn, withServices } from '../context.js'
import { cliInvalid as bad, jsonText as json } from '../output.js'

const REVERSALS = ['refunded', 'canceled'] as const

const line = (c: StrayCharge): string =>
  `${c.id}  ${c.status.padEnd(8)} ${c.amount} ${c.currency}  ${c.gateway} ${c.gatewayRef}  payment ${c.paymentId}` +
  `${c.reversalFee !== null ? `  fee kept ${c.reversalFee}` : ''}${c.lastError ? `  last error: ${c.lastError}` : ''}${c.resolvedBy ? `  resolved by ${c.resolvedBy}: ${c.note ?? ''}` : ''}\n`

/**
 * `moneta payments stray-charges` and `moneta payments resolve-stray`: the operator's side of ADR
 * 0506 from a shell, as GET /v1/stray-charges and POST /v1/stray-charges/:id/resolve do over HTTP —
 * the same use case, so the same checks, booking, event and audit entry.
 */
export function registerStrayChargeCommands(payments: Command): void {
  payments
    .command('stray-charges')
    .description(
      "The tenant's stray charges, newest first: charges a gateway made for payments booked elsewhere; --status failed lists those an operator must reverse by hand",
    )
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--status <status>', STRAY_CHARGE_STATUSES.join(' | '))
    .option('--limit <n>', 'at most n (1–1000)', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant: string; status?: string; limit: string; json?: boolean }) => {
      if (opts.status && !(STRAY_CHARGE_STATUSES as readonly string[]).includes(opts.status))
        throw bad(`--status must be one of ${STRAY_CHARGE_STATUSES.join(', ')}.`)
      const items = await withServices((s) =>
        s.payments.queries.strayCharges(opts.tenant, {
          ...(opts.status ? { status: opts.status as StrayChargeStatus } : {}),
          limit: Number(opts.limit),
        }),
      )
      if (opts.json) return void process.stdout.write(json(items))
      for (const c of items) process.stdout.write(line(c))
      process.stdout.write(`${items.length} stray charge(s)\n`)
    })

  payments
    .command('resolve-stray <id>')
    .description(
      'Mark a stray charge whose reversal failed as reversed by hand at its gateway; a refund is booked so the gateway reconciles',
    )
    .requiredOption(
      '--reversal <kind>',
      'refunded (the capture refunded) | canceled (the authorisation voided)',
    )
    .option('--ref <id>', "the gateway's id of the refund or void (required for refunded)")
    .option('--fee <minor>', 'with refunded: the fee the gateway kept, in minor units (booked as an expense)')
    .requiredOption('--note <text>', 'why and how, for the audit trail (1 to 500 characters)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator (the audit entry names them; default: cli)')
    .action(
      async (
        id: string,
        opts: { reversal: string; ref?: string; fee?: string; note: string; tenant: string; as?: string },
      ) => {
        const reversal = REVERSALS.find((r) => r === opts.reversal)
        if (!reversal) throw bad(`--reversal must be one of ${REVERSALS.join(', ')}.`)
        if (opts.fee !== undefined && !/^[0-9]{1,19}$/.test(opts.fee))
          throw bad('--fee is a whole number of minor units.')
        const done = await withServices(async (s) => {
          const actor = opts.as ? `operator:${(await operatorIn(s, opts.tenant, opts.as)).id}` : 'cli'
          return s.payments.commands.resolveStrayCharge(
            opts.tenant,
            id,
            {
              reversal,
              note: opts.note,
              ...(opts.ref !== undefined ? { reversalRef: opts.ref } : {}),
              ...(opts.fee !== undefined ? { fee: BigInt(opts.fee) } : {}),
            },
            { by: { actor, origin: 'cli' } },
          )
        })
        process.stdout.write(line(done))
      },
    )
}
