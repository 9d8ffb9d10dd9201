import type { Command } from 'commander'
import { INBOX_STATUSES, type InboxEntry, type InboxStatus } from '../../modules/payments/index.js'
import { invalid } from '../../shared/errors.js'
import { withServices } from '../context.js'

const out = (line: string) => process.stdout.write(`${line}\n`)

const statusOf = (s: string | undefined): InboxStatus | undefined => {
  if (s === undefined) return undefined
  const status = INBOX_STATUSES.find((x) => x === s)
  if (!status) throw invalid('CLI_INVALID_OPTION', `--status must be one of ${INBOX_STATUSES.join(', ')}.`)
  return status
}

const limitOf = (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw invalid('CLI_INVALID_NUMBER', `--limit must be a whole number from 1 to 10000, got "${v}".`)
  return n
}

const line = (e: InboxEntry) =>
  `${e.receivedAt.toISOString()}  ${e.gateway}  ${e.eventId}  ${e.vendorType}  ${e.status}` +
  `${e.outcome ? `/${e.outcome}` : ''}  tenant=${e.appliedTenantId ?? e.tenantId}  attempts=${e.attempts}` +
  `${e.status === 'pending' && e.attempts > 0 ? `  next=${e.nextAttemptAt.toISOString()}` : ''}` +
  `${e.lastError ? `\n    ${e.lastError}` : ''}`

/** `moneta webhooks list|replay`: the gateway webhook inbox (incoming events from Stripe, Braintree, sandbox). */
export function registerGatewayWebhookCommands(program: Command): void {
  // Another module may own other `webhooks` subcommands; share the group instead of shadowing it.
  const webhooks =
    program.commands.find((c) => c.name() === 'webhooks') ??
    program
      .command('webhooks')
      .description('Gateway webhooks: the inbox of incoming events, dead letters, replay')

  webhooks
    .command('list')
    .description('Incoming gateway events in the inbox, oldest first (--status dead: the dead letters)')
    .option('--status <status>', `one of ${INBOX_STATUSES.join(', ')}`)
    .option('--gateway <name>', 'sandbox, stripe or braintree')
    .option('--tenant <id>', 'events applied for (or named by) this tenant')
    .option('--event <id>', "the gateway's event id")
    .option('--limit <n>', 'most rows', '100')
    .option('--json', 'JSON lines')
    .action(
      async (o: {
        status?: string
        gateway?: string
        tenant?: string
        event?: string
        limit: string
        json?: boolean
      }) =>
        withServices(async (s) => {
          const status = statusOf(o.status)
          const rows = await s.gatewayWebhooks.list({
            ...(status ? { status } : {}),
            ...(o.gateway ? { gateway: o.gateway } : {}),
            ...(o.tenant ? { tenantId: o.tenant } : {}),
            ...(o.event ? { eventId: o.event } : {}),
            limit: limitOf(o.limit),
          })
          for (const e of rows) out(o.json ? JSON.stringify(e) : line(e))
          if (!o.json) out(`${rows.length} event(s)`)
        }),
    )

  webhooks
    .command('replay [eventId]')
    .description(
      'Put dead-lettered events back in the queue and process them now (applying is idempotent: never a second effect)',
    )
    .option('--gateway <name>', 'only this gateway')
    .option('--all-dead', 'every dead-lettered event (of --gateway / --tenant if given)')
    .option('--tenant <id>', 'with --all-dead: only events keyed to this tenant')
    .action(
      async (eventId: string | undefined, o: { gateway?: string; allDead?: boolean; tenant?: string }) =>
        withServices(async (s) => {
          if (!eventId && !o.allDead)
            throw invalid('CLI_MISSING_OPTION', 'Name the event to replay, or pass --all-dead.')
          const r = await s.gatewayWebhooks.replay({
            ...(eventId ? { eventId } : {}),
            ...(o.gateway ? { gateway: o.gateway } : {}),
            ...(o.tenant ? { tenantId: o.tenant } : {}),
          })
          for (const x of r.revived) {
            const [now] = await s.gatewayWebhooks.list({ eventId: x.eventId, gateway: x.gateway, limit: 1 })
            if (now) out(line(now))
          }
          out(
            `replayed ${r.revived.length} event(s): ${r.round.processed} processed, ${r.round.retried} failed again (will retry), ${r.round.dead} dead`,
          )
        }),
    )
}
