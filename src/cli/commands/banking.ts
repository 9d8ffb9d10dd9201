import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'

const out = (v: unknown) =>
  process.stdout.write(
    `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`,
  )

/** `moneta banking …`: operator commands for linked bank items (the poll, a manual sync, a listing). */
export function registerBankingCommands(program: Command): void {
  const banking = program
    .command('banking')
    .description('Linked bank items: list, sync, poll (docs/banking.md)')

  banking
    .command('items')
    .description('List linked items of a tenant')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--customer <id>', 'only this customer')
    .action(async (opts: { tenant: string; customer?: string }) => {
      const items = await withServices((s) => s.banking.listItems(opts.tenant, opts.customer))
      for (const i of items) {
        process.stdout.write(
          `${i.id}  ${i.provider}  ${i.institutionName}  ${i.status}${i.errorCode ? ` (${i.errorCode})` : ''}  last sync ${i.lastSyncedAt?.toISOString() ?? 'never'}\n`,
        )
      }
    })

  banking
    .command('sync <itemId>')
    .description('Sync one item now (incremental, by cursor)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (itemId: string, opts: { tenant: string }) => {
      out(await withServices((s) => s.banking.sync(opts.tenant, itemId, 'manual')))
    })

  banking
    .command('poll')
    .description('Sync every active item not synced within MONETA_BANKING_POLL_MS (what the worker does)')
    .option('--limit <n>', 'at most this many items', '50')
    .action(async (opts: { limit: string }) => {
      const n = await withServices((s) => s.banking.pollDue(Number(opts.limit)))
      process.stdout.write(`${n} item(s) synced\n`)
    })
}
