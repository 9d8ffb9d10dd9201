import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import {
  createCatalogue,
  createOutbox,
  OUTBOX_CHANNEL,
  systemEvents,
  type Outbox,
} from '../src/modules/events/index.js'
import { connect, type DbHandle } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { createPostCommitNotifier } from '../src/shared/db/notifier.js'
import { newId } from '../src/shared/ids.js'
import { arg, ensureDatabase, load, log, pct, round } from './args.js'

/**
 * npm run bench -- outbox-commits [--writers N] [--seconds N] [--rounds N]
 * DATABASE_URL (default postgres://postgres@127.0.0.1:5432/moneta_bench) must exist.
 *
 * Issue #18: what the outbox's INSERT trigger (`pg_notify` in the writer's transaction, dropped by
 * migration 0104) cost every transaction that writes events. N writers commit one-event
 * transactions for a few seconds, alternately (a) with that trigger put back and (b) as the code
 * does now (a NOTIFY sent after commit, at most one in flight). While they run, the writers'
 * backends are sampled in pg_stat_activity: with the trigger, commits wait on `Lock:object` (the
 * server-wide notify lock, held across each commit's WAL flush) instead of sharing a flush. The wait
 * shares are the load-independent figure; commits/s moves with the machine's load.
 */
const PROBE = 'events.probe.sent.v1'

const setTrigger = async (h: DbHandle, on: boolean) => {
  await sql`DROP TRIGGER IF EXISTS event_outbox_notify ON event_outbox`.execute(h.db)
  await sql`DROP FUNCTION IF EXISTS event_outbox_notify()`.execute(h.db)
  if (!on) return
  // The trigger as migration 0100 made it.
  await sql`CREATE FUNCTION event_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('moneta_outbox', '');
        RETURN NULL;
      END
      $$`.execute(h.db)
  await sql`CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
        FOR EACH STATEMENT EXECUTE FUNCTION event_outbox_notify()`.execute(h.db)
}

interface Figures {
  mode: string
  commits_per_s: number
  p50_ms: number
  p99_ms: number
  /** Share of sampled active writer backends waiting on each event (wait_event_type:wait_event). */
  waits: Record<string, number>
  notifications: number
}

async function run(
  h: DbHandle,
  mode: 'trigger' | 'after-commit',
  writers: number,
  seconds: number,
): Promise<Figures> {
  await setTrigger(h, mode === 'trigger')
  const catalogue = createCatalogue(systemEvents)
  const notifier = createPostCommitNotifier(h, OUTBOX_CHANNEL)
  const outbox: Outbox = createOutbox(catalogue, mode === 'after-commit' ? notifier.notify : undefined)
  // A relay's LISTEN: both ways must wake it.
  const listener = await h.pool!.connect()
  let notifications = 0
  listener.on('notification', () => notifications++)
  await listener.query(`LISTEN ${OUTBOX_CHANNEL}`)
  const sampler = await h.pool!.connect()
  const waits = new Map<string, number>()
  let samples = 0
  const tenantId = newId('ten_bench')
  const latencies: number[] = []
  const end = performance.now() + seconds * 1000
  let sampling = true
  const sampling$ = (async () => {
    while (sampling) {
      const r = await sampler.query<{ w: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w FROM pg_stat_activity
         WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
           AND query NOT LIKE 'LISTEN%'`,
      )
      for (const { w } of r.rows) waits.set(w, (waits.get(w) ?? 0) + 1)
      samples += r.rows.length
      await new Promise((res) => setTimeout(res, 5))
    }
  })()
  const t0 = performance.now()
  const written = Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const start = performance.now()
        await h.db
          .transaction()
          .execute((tx) => outbox.enqueue(tx, [{ topic: PROBE, key: `w${w}`, tenantId, payload: { n: i } }]))
        latencies.push(performance.now() - start)
      }
    }),
  )
  await written.finally(() => (sampling = false))
  const elapsed = (performance.now() - t0) / 1000
  await sampling$
  await notifier.settled()
  await new Promise((res) => setTimeout(res, 100))
  await listener.query(`UNLISTEN ${OUTBOX_CHANNEL}`)
  listener.release()
  sampler.release()
  latencies.sort((a, b) => a - b)
  const share: Record<string, number> = {}
  for (const [k, n] of [...waits.entries()].sort((a, b) => b[1] - a[1])) {
    const v = round(n / Math.max(samples, 1))
    if (v >= 0.01) share[k] = v
  }
  return {
    mode,
    commits_per_s: Math.round(latencies.length / elapsed),
    p50_ms: round(pct(latencies, 0.5)),
    p99_ms: round(pct(latencies, 0.99)),
    waits: share,
    notifications,
  }
}

export async function main(args: string[]): Promise<void> {
  const writers = arg(args, 'writers', 32)
  const seconds = arg(args, 'seconds', 8)
  const rounds = arg(args, 'rounds', 2)
  const url =
    process.env.DATABASE_URL ??
    process.env.MONETA_BENCH_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/moneta_bench'
  await ensureDatabase(url)
  const h = await connect({ databaseUrl: url, poolSize: writers + 4 })
  await migrateToLatest(h.db, allMigrations, allRoutines)
  const results: Figures[] = []
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['trigger', 'after-commit'] as const) {
        const f = await run(h, mode, writers, seconds)
        log(`${mode}: ${JSON.stringify(f)} (load ${load()})`)
        results.push(f)
      }
    }
  } finally {
    await setTrigger(h, false)
    await h.close()
  }
  log(JSON.stringify({ bench: 'outbox-commits', writers, seconds, load: load(), results }))
}
