import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import type { Delivery, DeliveryStatus, Endpoint } from '../../modules/webhooks/index.js'
import { withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

/**
 * `moneta endpoints …`: tenants' outgoing-webhook endpoints and their delivery log
 * (`moneta webhooks …` is the incoming gateway-webhook inbox).
 */
const STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'cancelled']
const out = (line: string) => process.stdout.write(`${line}\n`)

const endpointLine = (e: Endpoint): string =>
  `${e.id}  ${e.enabled ? 'enabled ' : 'DISABLED'}  ${e.url}  [${e.eventTypes.join(', ')}]${e.disabledReason ? `  (${e.disabledReason})` : ''}`

const deliveryLine = (d: Delivery): string => {
  const a = d.lastAttempt
  const last = a ? `${a.statusCode ?? '-'} ${a.latencyMs}ms${a.error ? ` ${a.error}` : ''}` : 'not attempted'
  const next = d.nextAttemptAt ? `  next ${d.nextAttemptAt.toISOString()}` : ''
  return `${d.id}  ${d.status.padEnd(9)}  ${d.eventType}  ${d.eventId}  attempts ${d.attempts}  ${last}${next}${d.replayOf ? `  replay of ${d.replayOf}` : ''}`
}

export function registerEndpointCommands(program: Command): void {
  const cmd = program.command('endpoints').description("Outgoing webhooks: tenants' endpoints and deliveries")

  cmd
    .command('list')
    .description('List the endpoints of a tenant')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--json', 'one JSON object per line')
    .action(async (o: { tenant: string; json?: boolean }) => {
      await withServices(async (s) => {
        for (const e of await s.webhooks.listEndpoints(o.tenant))
          out(o.json ? JSON.stringify(e) : endpointLine(e))
      })
    })

  cmd
    .command('deliveries <endpointId>')
    .description('Delivery log of an endpoint, newest first')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--status <status>', `only ${STATUSES.join(' | ')}`)
    .option('--limit <n>', 'how many (1–200)', '50')
    .option('--json', 'one JSON object per line')
    .action(
      async (endpointId: string, o: { tenant: string; status?: string; limit: string; json?: boolean }) => {
        const limit = Number(o.limit)
        if (!Number.isInteger(limit) || limit < 1 || limit > 200)
          throw bad('--limit must be a whole number from 1 to 200.')
        if (o.status && !STATUSES.includes(o.status as DeliveryStatus))
          throw bad(`--status must be one of ${STATUSES.join(', ')}.`)
        await withServices(async (s) => {
          const page = await s.webhooks.listDeliveries(o.tenant, endpointId, {
            limit,
            ...(o.status ? { status: o.status as DeliveryStatus } : {}),
          })
          for (const d of page.deliveries) out(o.json ? JSON.stringify(d) : deliveryLine(d))
        })
      },
    )

  cmd
    .command('replay <deliveryId>')
    .description('Queue a delivery again (same webhook-id); a running worker sends it')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (deliveryId: string, o: { tenant: string }) => {
      await withServices(async (s) =>
        out(deliveryLine(await s.webhooks.replayDelivery(o.tenant, deliveryId))),
      )
    })

  cmd
    .command('enable <endpointId>')
    .description('Enable an endpoint after an automatic or manual disable')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (endpointId: string, o: { tenant: string }) => {
      await withServices(async (s) =>
        out(endpointLine(await s.webhooks.enableEndpoint(o.tenant, endpointId))),
      )
    })
}
