import { randomBytes } from 'node:crypto'
/**
 * `moneta reconcile` through the real binary, with Stripe configured (MONETA_STRIPE_*) against the
 * local Stripe-protocol server: differences print and exit 1, a failing fetch exits 2 as failed,
 * and the runs are listed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { monetaCli, type CliResult } from '../support/cli.js'
import { startStripeServer, type StripeServer } from '../support/vendors/stripe-server.js'

describe('moneta reconcile', { timeout: 400_000 }, () => {
  let server: StripeServer
  let dir: string
  let moneta: (...args: string[]) => Promise<CliResult>
  const today = new Date().toISOString().slice(0, 10)
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)

  beforeAll(async () => {
    server = await startStripeServer()
    dir = mkdtempSync(join(tmpdir(), 'moneta-reconcile-'))
    moneta = monetaCli(
      {
        MONETA_DATA_DIR: dir,
        // A given master key: otherwise the first run generates one and warns on stderr, which stays empty here.
        MONETA_MASTER_KEY: randomBytes(32).toString('hex'),
        MONETA_STRIPE_SECRET_KEY: server.secretKey,
        MONETA_STRIPE_API_URL: `http://${server.host}:${server.port}`,
      },
      // Each run boots the whole app on a fresh embedded database: slow on a loaded machine.
      { timeoutMs: 170_000 },
    )
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints each difference with its explanation and exits 1', async () => {
    server.plantBalanceTransaction({ type: 'charge', amount: 4242, source: 'ch_unbooked' })
    const r = await moneta('reconcile', '--gateway', 'stripe', '--from', today, '--to', tomorrow)
    expect(r.err).toBe('')
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/MISSING_IN_LEDGER\s+capture\s+ch_unbooked\s+gateway=4242 USD\s+ledger=—/)
    expect(r.out).toContain('that the ledger has not booked')
    expect(r.out).toMatch(/status: mismatched — matched 0, missing in ledger 1/)
  })

  it('a failing fetch is reported as failed (exit 2), never reconciled', async () => {
    server.fault({ match: (_m, p) => p.startsWith('/v1/balance_transactions'), status: 500 })
    const r = await moneta('reconcile', '--gateway', 'stripe', '--from', today, '--to', tomorrow, '--json')
    server.clearFaults()
    expect(r.code).toBe(2)
    const report = JSON.parse(r.out) as { run: { status: string; error: string }; lines: unknown[] }
    expect(report.run.status).toBe('failed')
    expect(report.run.error).toMatch(/Stripe/)
    expect(report.lines).toEqual([])
  })

  it('runs are listed newest first; bad input gets a coded error', async () => {
    const list = await moneta('reconcile', 'list', '--gateway', 'stripe')
    expect(list.code).toBe(0)
    expect(
      list.out
        .split('\n')
        .filter((l) => l.startsWith('status:'))
        .map((l) => l.split(' ')[1]),
    ).toEqual(['failed', 'mismatched'])
    const bad = await moneta('reconcile', '--gateway', 'braintree')
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('RECONCILIATION_GATEWAY_UNKNOWN')
  })
})
