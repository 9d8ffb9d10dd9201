import pg from 'pg'

/**
 * node --import tsx bench/pg-waits.ts --database NAME [--url postgres://…/postgres] [--seconds N]
 *
 * Where a running server's calls wait in PostgreSQL: samples pg_stat_activity for one database every
 * 20 ms and prints, until --seconds pass or Ctrl-C, how many samples each statement (its first 120
 * characters, with its state and wait event) was seen in, most first. A CPU profile of the server
 * shows only Node's side; this is the other side (session 27: an upsert planned without statistics
 * was active in 60 % of the samples of a 10,000-customer evaluation while Node sat idle).
 */
const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const database = arg('database')
if (!database) throw new Error('--database is required')
const client = new pg.Client({ connectionString: arg('url') ?? 'postgres://postgres@127.0.0.1:5432/postgres' })
await client.connect()
const until = Date.now() + Number(arg('seconds') ?? 3600) * 1000
const counts = new Map<string, number>()
let samples = 0
let stopped = false
process.once('SIGINT', () => (stopped = true))
while (!stopped && Date.now() < until) {
  const r = await client.query<{ state: string; wait: string | null; q: string }>(
    `SELECT state, wait_event AS wait, regexp_replace(left(query, 120), '\\s+', ' ', 'g') AS q
     FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'`,
    [database],
  )
  samples++
  for (const row of r.rows) {
    const key = `${row.state}${row.wait ? ` (${row.wait})` : ''}: ${row.q.trim()}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
}
await client.end()
process.stdout.write(`${samples} samples\n`)
for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 30))
  process.stdout.write(`${((100 * n) / samples).toFixed(1).padStart(5)} %  ${key}\n`)
process.stdout.write(`${JSON.stringify({ bench: 'pg-waits', database, samples })}\n`)
