import { Presets, SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import {
  isSearchType,
  parseSearchInput,
  type SearchHit,
  type SearchType,
} from '../../modules/search/index.js'
import { AppError } from '../../shared/errors.js'
import { withServices } from '../context.js'

const out = (s: string): void => void process.stdout.write(`${s}\n`)

const hitLine = (h: SearchHit): string => {
  const text = h.highlight.map((x) => (x.match ? `[${x.text}]` : x.text)).join('')
  return `${h.score.toFixed(3)}  ${h.type.padEnd(18)} ${h.id.padEnd(28)} ${text}`
}

const hitJson = (h: SearchHit) => ({
  ...h,
  occurredAt: h.occurredAt.toISOString(),
  amount: h.amount?.toString(),
})

/** `moneta search "…"`, `moneta search reindex`, `moneta search status`. */
export function registerSearchCommands(program: Command): void {
  const search = program
    .command('search')
    .description('Search parties, payments, ledger, counterparties and instruments (docs/search.md)')
    .argument('[query]', 'what to look for: names (misspelt, any script), ids, references, last four…')
    .option(
      '--type <types>',
      'comma-separated: party, payment, ledger_account, ledger_transaction, counterparty, instrument',
    )
    .option('--from <iso>', 'occurred at or after')
    .option('--to <iso>', 'occurred before')
    .option('--min-amount <minor>', 'amount at least (minor units)')
    .option('--max-amount <minor>', 'amount at most (minor units)')
    .option('--currency <code>', 'ISO 4217')
    .option('--limit <n>', 'hits per page', '20')
    .option('--offset <n>', 'skip this many hits', '0')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(
      async (
        query: string | undefined,
        o: {
          type?: string
          from?: string
          to?: string
          minAmount?: string
          maxAmount?: string
          currency?: string
          limit: string
          offset: string
          tenant: string
          json?: boolean
        },
      ) => {
        if (!query)
          throw new AppError('CLI_INVALID_ARGUMENT', 'invalid', 'Give a query: moneta search "Jon Smyth".')
        const parsed = parseSearchInput({
          q: query,
          type: o.type,
          from: o.from,
          to: o.to,
          amountMin: o.minAmount,
          amountMax: o.maxAmount,
          currency: o.currency,
          limit: o.limit,
          offset: o.offset,
        })
        await withServices(async (s) => {
          const page = await s.search.search(o.tenant, parsed)
          if (o.json) out(JSON.stringify({ ...page, hits: page.hits.map(hitJson) }))
          else {
            for (const h of page.hits) out(hitLine(h))
            out(`${page.hits.length} of ${page.total} (offset ${page.offset})`)
          }
        })
      },
    )

  search
    .command('reindex')
    .description('Rebuild the search documents of a tenant from their sources (progress on stderr)')
    .option('--type <types>', 'only these types (comma-separated)')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--no-progress', 'no progress bar')
    .action(async (o: { type?: string; tenant: string; progress: boolean }) => {
      const types = o.type?.split(',').map((t) => t.trim())
      const bad = types?.filter((t) => !isSearchType(t)) ?? []
      if (bad.length > 0)
        throw new AppError('CLI_INVALID_ARGUMENT', 'invalid', `Unknown type "${bad.join(', ')}".`)
      await withServices(async (s) => {
        await s.search.engine.init()
        const bar =
          o.progress && process.stderr.isTTY
            ? new SingleBar(
                { format: '{type} [{bar}] {value}/{total}  {eta_formatted}' },
                Presets.shades_classic,
              )
            : undefined
        let current = ''
        try {
          const r = await s.search.reindex(o.tenant, {
            ...(types ? { types: types as SearchType[] } : {}),
            onProgress: (p) => {
              if (!bar) return
              if (p.type !== current) {
                if (current) bar.stop()
                current = p.type
                bar.start(p.total, p.done, { type: p.type })
              } else {
                bar.setTotal(p.total)
                bar.update(p.done)
              }
            },
          })
          bar?.stop()
          for (const [type, n] of Object.entries(r.indexed))
            out(`${type}: ${n} indexed, ${r.removed[type as SearchType] ?? 0} stale removed`)
        } finally {
          bar?.stop()
        }
      })
    })

  search
    .command('status')
    .description('Documents per type and how far the indexer got')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (o: { tenant: string; json?: boolean }) =>
      withServices(async (s) => {
        const st = await s.search.status(o.tenant)
        if (o.json) return out(JSON.stringify(st))
        out(`engine: ${st.engine}`)
        for (const [type, n] of Object.entries(st.documents)) out(`${type.padEnd(18)} ${n} documents`)
        for (const p of st.progress)
          out(
            `${p.type.padEnd(18)} last event ${p.lastEventAt.toISOString()} indexed ${p.indexedAt.toISOString()}` +
              (p.reindexedAt ? ` reindexed ${p.reindexedAt.toISOString()}` : ''),
          )
      }),
    )
}
