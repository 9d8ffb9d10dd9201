import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { createApp, type AppServices } from '../../app.js'
import { loadConfig } from '../../config.js'
import { parseTickLine, type CsvTick } from '../../modules/market/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { invalid } from '../../shared/errors.js'
import { withServices } from '../context.js'

const out = (line: string) => process.stdout.write(`${line}\n`)

/** Runs fn with the services, then closes the event backbone (a Redis bus holds connections open). */
const withEvents = <T>(fn: (s: AppServices) => Promise<T>) =>
  withServices(async (s) => {
    try {
      return await fn(s)
    } finally {
      await s.market.close()
      await s.events.close()
    }
  })

const parseSince = (s: string | undefined): Date | undefined => {
  if (s === undefined) return undefined
  const d = new Date(s)
  if (Number.isNaN(d.getTime()))
    throw invalid('EVENTS_INVALID_TIME', `--since "${s}" is not an ISO-8601 time.`)
  return d
}

const positiveInt = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1)
    throw invalid('CLI_INVALID_NUMBER', `${name} must be a whole number ≥ 1, got "${v}".`)
  return n
}

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })

export function registerEventCommands(program: Command): void {
  program
    .command('worker')
    .description(
      'Run the background workers without the API: outbox relay, market alert consumer, ledger sweeps',
    )
    .action(async () => {
      const app = await createApp(loadConfig())
      app.startWorkers()
      const bus = app.services.events.bus.adapter
      process.stderr.write(
        `moneta worker running (bus: ${bus}, database: ${app.services.db.engine}); Ctrl-C to stop\n`,
      )
      await untilSignal()
      await app.close()
    })

  const events = program.command('events').description('Event backbone: tail, replay, dead letters')

  events
    .command('tail')
    .description('Print events of a topic as they arrive (JSON lines)')
    .requiredOption('--topic <name>', 'event type, e.g. ledger.transaction.posted.v1')
    .option('--since <iso>', 'start at this time instead of now')
    .option('--limit <n>', 'stop after n events')
    .action(async (opts: { topic: string; since?: string; limit?: string }) =>
      withEvents(async (s) => {
        if (!s.events.catalogue.has(opts.topic))
          throw invalid('EVENT_UNKNOWN_TYPE', `Unknown event type "${opts.topic}".`)
        const limit = opts.limit === undefined ? Infinity : positiveInt('--limit', opts.limit, 1)
        let from: { position?: string; since?: Date } = { since: parseSince(opts.since) ?? new Date() }
        let printed = 0
        let stop = false
        void untilSignal().then(() => (stop = true))
        while (!stop && printed < limit) {
          const r = await s.events.bus.read(opts.topic, from, Math.min(500, limit - printed))
          for (const m of r.messages) out(JSON.stringify({ ...m, occurredAt: m.occurredAt.toISOString() }))
          printed += r.messages.length
          if (r.next) from = { position: r.next }
          if (r.messages.length === 0) await new Promise((res) => setTimeout(res, 500))
        }
      }),
    )

  events
    .command('replay')
    .description(
      'Replay a topic from a position or a time: print it, or (--outbox) republish retained outbox rows to every consumer',
    )
    .option('--topic <name>', 'event type (required unless --outbox)')
    .option('--from <position>', 'after this position (as printed by tail/replay)')
    .option('--since <iso>', 'at or after this time')
    .option('--limit <n>', 'most events to print', '1000')
    .option(
      '--outbox',
      'mark retained outbox rows sent since --since unsent, so the relay publishes them again',
    )
    .option('--tenant <id>', 'with --outbox: only this tenant')
    .action(
      async (opts: {
        topic?: string
        from?: string
        since?: string
        limit: string
        outbox?: boolean
        tenant?: string
      }) =>
        withEvents(async (s) => {
          const since = parseSince(opts.since)
          if (opts.outbox) {
            const n = await s.events.relay.republish({
              ...(since ? { since } : {}),
              ...(opts.topic ? { topic: opts.topic } : {}),
              ...(opts.tenant ? { tenantId: opts.tenant } : {}),
            })
            out(`${n} outbox row(s) marked for republishing; the relay (moneta worker / start) sends them`)
            return
          }
          if (!opts.topic) throw invalid('CLI_MISSING_OPTION', 'events replay needs --topic (or --outbox).')
          if (!s.events.catalogue.has(opts.topic))
            throw invalid('EVENT_UNKNOWN_TYPE', `Unknown event type "${opts.topic}".`)
          const r = await s.events.bus.read(
            opts.topic,
            { ...(opts.from ? { position: opts.from } : {}), ...(since ? { since } : {}) },
            positiveInt('--limit', opts.limit, 1000),
          )
          for (const m of r.messages) out(JSON.stringify({ ...m, occurredAt: m.occurredAt.toISOString() }))
          process.stderr.write(`${r.messages.length} event(s); next position: ${r.next ?? '-'}\n`)
        }),
    )

  const dlq = events
    .command('dlq')
    .description('Dead letters: messages a consumer group gave up on, with the error')
  dlq
    .command('list')
    .option('--group <name>', 'consumer group')
    .option('--tenant <id>', 'tenant')
    .option('--all', 'include retried ones')
    .option('--limit <n>', 'most rows', '100')
    .option('--json', 'JSON lines')
    .action(async (opts: { group?: string; tenant?: string; all?: boolean; limit: string; json?: boolean }) =>
      withEvents(async (s) => {
        const rows = await s.events.deadLetters.list({
          ...(opts.group ? { group: opts.group } : {}),
          ...(opts.tenant ? { tenantId: opts.tenant } : {}),
          includeRetried: opts.all ?? false,
          limit: positiveInt('--limit', opts.limit, 100),
        })
        for (const d of rows) {
          out(
            opts.json
              ? JSON.stringify(d)
              : `${d.id}  ${d.failedAt.toISOString()}  group=${d.group}  ${d.topic}  event=${d.eventId}  attempts=${d.attempts}${d.retriedAt ? '  (retried)' : ''}\n    ${d.error}`,
          )
        }
        if (!opts.json) out(`${rows.length} dead letter(s)`)
      }),
    )
  dlq
    .command('retry <id>')
    .description('Publish a dead letter again (same event id) and mark it retried')
    .action(async (id: string) =>
      withEvents(async (s) => {
        const d = await s.events.deadLetters.retry(id, s.events.bus)
        out(`republished ${d.eventId} (${d.topic}) for group ${d.group}`)
      }),
    )

  const ticks = program.command('ticks').description('Market data: alert rules and tick replay')
  const rules = ticks.command('rules').description('Alert rules evaluated on every tick')
  rules
    .command('add')
    .description(
      'Add a rule: price_cross --level [--direction], pct_move --pct --window-sec, volume_spike --multiple --window-sec',
    )
    .requiredOption('--instrument <symbol>', 'instrument, or "*" for all')
    .requiredOption('--kind <kind>', 'price_cross | pct_move | volume_spike')
    .option('--level <price>', 'price_cross: level, e.g. 101.5')
    .option('--direction <dir>', 'price_cross: up | down | any', 'any')
    .option('--pct <n>', 'pct_move: percentage')
    .option('--window-sec <n>', 'pct_move / volume_spike: window in seconds', '60')
    .option('--multiple <n>', 'volume_spike: multiple of the mean tick volume')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(
      async (o: {
        instrument: string
        kind: string
        level?: string
        direction: string
        pct?: string
        windowSec: string
        multiple?: string
        tenant: string
      }) =>
        withEvents(async (s) => {
          const kinds = ['price_cross', 'pct_move', 'volume_spike'] as const
          const kind = kinds.find((k) => k === o.kind)
          if (!kind) throw invalid('MARKET_INVALID_RULE', `--kind must be one of ${kinds.join(', ')}.`)
          const dirs = ['up', 'down', 'any'] as const
          const direction = dirs.find((d) => d === o.direction)
          if (!direction) throw invalid('MARKET_INVALID_RULE', '--direction must be up, down or any.')
          const rule = await s.market.createRule(o.tenant, {
            instrument: o.instrument,
            kind,
            direction,
            windowSec: Number(o.windowSec),
            ...(o.level !== undefined ? { level: o.level } : {}),
            ...(o.pct !== undefined ? { pct: Number(o.pct) } : {}),
            ...(o.multiple !== undefined ? { multiple: Number(o.multiple) } : {}),
          })
          out(`${rule.ruleId} ${rule.kind} ${rule.instrument} ${JSON.stringify(rule.params)}`)
        }),
    )
  rules
    .command('list')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (o: { tenant: string }) =>
      withEvents(async (s) => {
        for (const r of await s.market.listRules(o.tenant))
          out(`${r.ruleId} ${r.kind} ${r.instrument} ${JSON.stringify(r.params)}`)
      }),
    )
  ticks
    .command('replay <file>')
    .description(
      'Replay a CSV of ticks (ts,instrument,price,volume) through the alert rules and print the alerts',
    )
    .option('--tenant <id>', 'tenant whose rules apply', DEFAULT_TENANT)
    .option('--publish', 'publish the ticks on the bus for the workers instead of evaluating them here')
    .option('--batch <n>', 'ticks per batch', '1000')
    .option('--quiet', 'print only the summary')
    .action(
      async (file: string, opts: { tenant: string; publish?: boolean; batch: string; quiet?: boolean }) =>
        withEvents(async (s) => {
          const size = (() => {
            try {
              return statSync(file).size
            } catch {
              throw invalid('TICKS_FILE_NOT_FOUND', `Cannot read ${file}.`)
            }
          })()
          const batchSize = positiveInt('--batch', opts.batch, 1000)
          const bar = new cliProgress.SingleBar(
            {
              format: 'ticks {bar} {percentage}% | {value}/{total} bytes | {ticks} ticks | {alerts} alerts',
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          )
          bar.start(size, 0, { ticks: 0, alerts: 0 })
          const input = createReadStream(file)
          const lines = createInterface({ input, crlfDelay: Infinity })
          let batch: CsvTick[] = []
          let lineNo = 0
          let count = 0
          let alerts = 0
          const flush = async () => {
            if (batch.length === 0) return
            if (opts.publish) {
              await s.market.ingest(
                opts.tenant,
                batch.map((t) => ({
                  instrument: t.instrument,
                  price: String(t.price),
                  volume: t.volume,
                  ts: t.ts,
                })),
              )
            } else {
              const fired = await s.market.evaluate(
                opts.tenant,
                batch.map((t) => ({ ...t, id: `csv:${t.instrument}:${t.ts}:${t.line}` })),
              )
              alerts += fired.length
              if (!opts.quiet) {
                bar.stop()
                for (const a of fired)
                  out(`ALERT ${new Date(a.tickTs).toISOString()} ${a.kind} ${a.instrument} ${a.message}`)
                bar.start(size, input.bytesRead, { ticks: count, alerts })
              }
            }
            batch = []
            bar.update(input.bytesRead, { ticks: count, alerts })
          }
          try {
            for await (const line of lines) {
              lineNo++
              const t = parseTickLine(line, lineNo)
              if (t === undefined) continue
              if ('error' in t) throw invalid('TICKS_INVALID_LINE', t.error)
              batch.push(t)
              count++
              if (batch.length >= batchSize) await flush()
            }
            await flush()
            bar.update(size, { ticks: count, alerts })
          } finally {
            bar.stop()
          }
          out(opts.publish ? `published ${count} tick(s)` : `replayed ${count} tick(s), ${alerts} alert(s)`)
        }),
    )
}
