import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { EventMessage } from '../src/modules/events/index.js'
import { applyEvents, type SearchEngine } from '../src/modules/search/index.js'
import type { Db } from '../src/shared/db/connect.js'
import { newId } from '../src/shared/ids.js'

/**
 * The burst part of `npm run bench -- search`: B new payments committed, then their events applied by
 * the indexer in bus-sized batches (2,000). Besides the wall time (the lag, which a loaded machine
 * inflates several times), what the burst cost in load-independent terms: index blocks PostgreSQL had
 * to read from outside shared_buffers, WAL written and full-page images (cluster-wide counters: other
 * databases' writes count too on a shared server), and the CPU seconds of this database's backends
 * (read from /proc: only when the server runs on this machine, else null).
 */
type Sources = Parameters<typeof applyEvents>[0]['sources']

export interface BurstFigures {
  readonly lagSeconds: number
  readonly indexBlocksRead: Record<string, number>
  readonly walMb: number
  readonly walFullPageImages: number
  readonly backendCpuSeconds: number | null
}

async function insertPayments(db: Db, tenant: string, count: number, r: () => number): Promise<string[]> {
  const ids: string[] = []
  const BATCH = 2000
  for (let i = 0; i < count; i += BATCH) {
    const rows = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      const id = newId('pay')
      ids.push(id)
      const amount = String(100 + Math.floor(r() * 100_000))
      const method = r() < 0.5 ? 'pm_card_visa' : 'pm_card_mastercard'
      rows.push(
        sql`(${tenant}, ${id}, 'succeeded', ${amount}::bigint, 'EUR', 'automatic', ${method}, ${`cus_b${j}`}, 'sandbox',
          ${`ch_${randomBytes(6).toString('hex')}`}, now(), now())`,
      )
    }
    await sql`INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
      customer, gateway, gateway_ref, created_at, updated_at) VALUES ${sql.join(rows)}`.execute(db)
  }
  return ids
}

interface Counters {
  readonly blocks: Map<string, number>
  readonly walBytes: number
  readonly fpi: number
}

async function counters(db: Db): Promise<Counters> {
  await sql`SELECT pg_stat_clear_snapshot()`.execute(db)
  const idx = await sql<{ name: string; n: string }>`SELECT indexrelname AS name, idx_blks_read AS n
    FROM pg_statio_user_indexes WHERE relname = 'search_documents'`.execute(db)
  const wal = await sql<{
    b: string
    f: string
  }>`SELECT wal_bytes AS b, wal_fpi AS f FROM pg_stat_wal`.execute(db)
  return {
    blocks: new Map(idx.rows.map((x) => [x.name, Number(x.n)])),
    walBytes: Number(wal.rows[0]?.b ?? 0),
    fpi: Number(wal.rows[0]?.f ?? 0),
  }
}

/** User + system CPU seconds of this database's backends, or null when their processes are not visible here. */
function backendCpu(database: string): number | null {
  let total = 0
  let seen = false
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      // a backend names itself `postgres: [cluster: ]user database host(port) state`
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (!title.startsWith('postgres:') || !title.includes(` ${database} `)) continue
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      total += (Number(f[11]) + Number(f[12])) / 100
      seen = true
    } catch {
      // the process ended between the listing and the read
    }
  }
  return seen ? total : null
}

export async function measureBurst(
  deps: { db: Db; engine: SearchEngine; sources: Sources },
  tenant: string,
  burst: number,
  r: () => number,
): Promise<BurstFigures> {
  const burstIds = await insertPayments(deps.db, tenant, burst, r)
  const committed = new Date()
  const messages: EventMessage[] = burstIds.map((id, i) => ({
    id: `evt_${i}`,
    topic: 'payments.payment.created.v1',
    key: id,
    tenantId: tenant,
    payload: { paymentId: id },
    occurredAt: committed,
    headers: {},
    position: String(i),
  }))
  const database = (await sql<{ d: string }>`SELECT current_database() AS d`.execute(deps.db)).rows[0]!.d
  const before = await counters(deps.db)
  const cpuBefore = backendCpu(database)
  const t = performance.now()
  for (let i = 0; i < messages.length; i += 2000) await applyEvents(deps, messages.slice(i, i + 2000))
  const lagSeconds = (performance.now() - t) / 1000
  const cpuAfter = backendCpu(database)
  // the statistics collector publishes a backend's counters when it goes idle (up to a second later)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const after = await counters(deps.db)
  return {
    lagSeconds,
    indexBlocksRead: Object.fromEntries(
      [...after.blocks].map(([name, n]) => [name, n - (before.blocks.get(name) ?? 0)]),
    ),
    walMb: Math.round((after.walBytes - before.walBytes) / 1e5) / 10,
    walFullPageImages: after.fpi - before.fpi,
    backendCpuSeconds:
      cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) * 100) / 100,
  }
}
