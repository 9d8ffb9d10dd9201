import type { LedgerCommand } from '../src/modules/ledger/index.js'
import { arg, log, pct, str } from './args.js'
import { closedLoop, pair, rand, setUpMonetaLedger } from './ledger-setup.js'

/**
 * npm run bench -- ledger [--seconds N] [--accounts N] [--postgres URL] [--keep] [--workers-1000 N] [--only batched]
 * Against the PostgreSQL in --postgres, else DATABASE_URL or MONETA_TEST_DATABASE_URL (created if
 * missing), else a fresh database for this run, dropped after it unless --keep. Until session 15
 * the flag was ignored and every run went to the shared `test` database, which grows with every
 * run and every suite (844 MB then, ledger entries alone 3× shared_buffers). Scenarios: batches of 100 and 1,000 (uniform over 10,000
 * accounts), single transfers from 16 concurrent clients (through the in-process batcher), the same
 * over 10 hot accounts, and every transfer touching 1 hot account. `verify` after each run.
 */

export async function main(args: string[]): Promise<void> {
  const seconds = arg(args, 'seconds', 10)
  const nAccounts = arg(args, 'accounts', 10_000)
  // How many 1,000-item batches are in flight at once (overlap of one batch's client work, round
  // trip and commit with another's database work), and whether to skip the single-path runs.
  const workers1000 = arg(args, 'workers-1000', 1)
  const batchedOnly = str(args, 'only') === 'batched'
  const bench = await setUpMonetaLedger(args, 'ledger', nAccounts, seconds)
  const { ledger, tenant, transfer, verify } = bench

  let errors = 0

  async function batched(size: number, workers: number): Promise<number> {
    const r = await closedLoop(seconds, workers, async () => {
      const cmds = Array.from({ length: size }, () => transfer(...pair(() => rand(nAccounts))))
      const results = await ledger.execute(tenant, cmds)
      return { done: size, errors: results.filter((x) => !x.ok).length }
    })
    errors += r.errors
    const tps = r.done / seconds
    log(`  batches of ${size} × ${workers} workers: ${Math.round(tps)} transfers/s`)
    await verify(`batch ${size}`)
    return tps
  }

  async function single(
    name: string,
    clients: number,
    next: () => LedgerCommand,
  ): Promise<{ tps: number; p99: number; p50: number }> {
    const r = await closedLoop(seconds, clients, async () => {
      const res = await ledger.submit(tenant, next())
      return { done: 1, errors: res.ok ? 0 : 1 }
    })
    errors += r.errors
    const tps = r.latencies.length / r.elapsed
    const [p50, p99] = [pct(r.latencies, 0.5), pct(r.latencies, 0.99)]
    log(`  ${name}: ${Math.round(tps)} transfers/s, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`)
    await verify(name)
    return { tps, p99, p50 }
  }

  log('batched:')
  const b100 = await batched(100, 4)
  // Large batches over shared accounts serialise on row locks (session 1: two in flight were slower
  // than one); --workers-1000 measures that again.
  const b1000 = await batched(1000, workers1000)
  const none = { tps: 0, p99: 0, p50: 0 }
  if (!batchedOnly) log('single path (16 concurrent clients, in-process batcher):')
  const uniform = batchedOnly
    ? none
    : await single('uniform over 10,000', 16, () => transfer(...pair(() => rand(nAccounts))))
  const hot10 = batchedOnly
    ? none
    : await single('10 hot accounts', 16, () => transfer(...pair(() => rand(10))))
  const hot1 = batchedOnly
    ? none
    : await single('1 hot account', 16, () =>
        Math.random() < 0.5 ? transfer(0, 1 + rand(nAccounts - 1)) : transfer(1 + rand(nAccounts - 1), 0),
      )

  await bench.close()
  const figures = {
    bench: 'ledger',
    batched_tps: Math.round(Math.max(b100, b1000)),
    batch100_tps: Math.round(b100),
    batch1000_tps: Math.round(b1000),
    workers_1000: workers1000,
    single_tps: Math.round(uniform.tps),
    single_p99_ms: Number(uniform.p99.toFixed(2)),
    hot10_tps: Math.round(hot10.tps),
    hot10_p99_ms: Number(hot10.p99.toFixed(2)),
    hot1_tps: Math.round(hot1.tps),
    hot1_p99_ms: Number(hot1.p99.toFixed(2)),
    errors,
    verify: bench.allVerified() ? 'ok' : 'failed',
  }
  log(JSON.stringify(figures))
}
