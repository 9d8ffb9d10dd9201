import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { Secret, TOTP } from 'otpauth'
import type { Page } from 'playwright-core'
import { launchChromium } from '../test/browser/chromium.js'
import { explainSearch, type SearchQuery } from '../src/modules/search/index.js'
import { createTestApp } from '../test/support/app.js'
import type { Db } from '../src/shared/db/connect.js'
import { FUNDING, seedLedger, seedPayments } from './console-seed.js'
import { projectPaymentsSetBased, withIndexesDropped } from './search-seed.js'

/**
 * `npm run bench -- console [--payments N] [--transfers T] [--runs R] [--queries Q] [--database-url URL] [--skip-seed]`
 * Seeds N payments (and their search documents) and T ledger transfers (2·T entries) into a fresh tenant
 * on PostgreSQL (with --skip-seed: reuses the tenant an earlier run seeded in that database, when there is
 * one — a full-scale seed takes ~9 minutes on two cores; --skip-paint leaves the browser out, --explain
 * prints the executed plan of one search of each kind), serves the app on a real port, and opens each console screen in Debian's Chromium R
 * times: first meaningful paint = from navigation start to the screen's data on the page (its table rows,
 * chart or figures — the locator named per screen). Then Q payment searches and Q list pages over HTTP:
 * p50 / p99. Ends with one JSON line.
 */
const arg = (args: string[], name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}
const ms = (x: number) => Math.round(x * 10) / 10

export async function main(args: string[]): Promise<void> {
  const payments = Number(arg(args, 'payments', '1000000'))
  const transfers = Number(arg(args, 'transfers', '500000'))
  const runs = Number(arg(args, 'runs', '5'))
  const queries = Number(arg(args, 'queries', '300'))
  const url = arg(
    args,
    'database-url',
    process.env.MONETA_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/moneta',
  )
  const log = (s: string) => process.stderr.write(`${s}\n`)
  const t = await createTestApp({ name: 'postgres', url })
  const db = t.app.services.db.db
  const seeded = args.includes('--skip-seed') ? await seededTenant(db) : undefined
  const tenant = seeded?.tenant ?? t.tenantId
  let ledger = { funding: FUNDING }
  if (seeded) {
    log(
      `--skip-seed: reusing tenant ${tenant} (${seeded.payments} payments, ${seeded.entries} ledger entries)`,
    )
  } else {
    let started = performance.now()
    await seedPayments(db, tenant, payments)
    log(`${payments} payments in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    started = performance.now()
    await withIndexesDropped(db, () => projectPaymentsSetBased(db, tenant, new Date()), log)
    log(`search documents in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    started = performance.now()
    ledger = await seedLedger(db, tenant, transfers, 1000)
    log(`${transfers * 2} ledger entries in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    for (const table of [
      'payments',
      'ledger_entries',
      'ledger_transactions',
      'ledger_accounts',
      'search_documents',
    ])
      await sql`ANALYZE ${sql.table(table)}`.execute(db)
  }
  log(`re-run without seeding: MONETA_BENCH_DATABASE_URL=${url} npm run bench -- console --skip-seed`)

  const base = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
  // The operator belongs to the seeded tenant: a key of its own for it when reusing an earlier seed.
  const apiKey = seeded ? await t.app.services.platform.createApiKey(tenant) : t.apiKey
  const token = await adminSession(base, apiKey)
  const sample = (
    await sql<{ payment_id: string; customer: string; gateway_ref: string; amount: string }>`
      SELECT payment_id, customer, gateway_ref, amount::text FROM payments TABLESAMPLE SYSTEM (1)
      WHERE tenant_id = ${tenant} LIMIT ${queries}`.execute(db)
  ).rows
  const txn = (
    await sql<{ transaction_id: string }>`SELECT transaction_id FROM ledger_transactions
      WHERE tenant_id = ${tenant} ORDER BY transaction_id DESC LIMIT 1`.execute(db)
  ).rows[0]!.transaction_id
  const p0 = sample[0]!

  const screens: [string, string, (p: Page) => Promise<unknown>][] = [
    [
      'overview',
      '/overview',
      (p) =>
        p
          .getByRole('table', { name: /Captures/ })
          .locator('tbody tr')
          .first()
          .waitFor(),
    ],
    ['payments', '/payments', (p) => p.locator('main tbody tr').first().waitFor()],
    ['payments-search', `/payments?q=${p0.customer}`, (p) => p.locator('main tbody tr').first().waitFor()],
    ['payment', `/payments/${p0.payment_id}`, (p) => p.locator('.timeline li').first().waitFor()],
    ['ledger', '/ledger', (p) => p.locator('main tbody tr').first().waitFor()],
    [
      'ledger-account',
      `/ledger/accounts/${ledger.funding}`,
      (p) =>
        Promise.all([p.locator('main tbody tr').first().waitFor(), p.locator('svg.chart path').waitFor()]),
    ],
    [
      'ledger-transaction',
      `/ledger/transactions/${txn}`,
      (p) => p.getByRole('table', { name: 'Legs' }).locator('tbody tr').waitFor(),
    ],
    ['cases', '/cases', (p) => p.getByText('No cases in this view.').waitFor()],
    ['screening', '/screening', (p) => p.getByText('No list loaded yet', { exact: false }).waitFor()],
    ['monitoring', '/monitoring', (p) => p.getByRole('heading', { name: 'Monitoring' }).waitFor()],
    ['market', '/market', (p) => p.getByText('No alerts yet.').waitFor()],
    ['admin', '/admin/operators', (p) => p.locator('main tbody tr').first().waitFor()],
  ]
  const paint: Record<string, { p50: number; max: number }> = {}
  const browser = args.includes('--skip-paint') ? undefined : await launchChromium()
  if (browser)
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
      await context.addInitScript((tk: string) => sessionStorage.setItem('moneta.session', tk), token)
      const page = await context.newPage()
      for (const [name, path, ready] of screens) {
        const times: number[] = []
        for (let i = 0; i <= runs; i++) {
          const t0 = performance.now()
          await page.goto(`${base}/console${path}`)
          await ready(page)
          if (i > 0) times.push(performance.now() - t0) // the first run warms the browser cache and the server
        }
        paint[name] = { p50: ms(pct(times, 50)), max: ms(Math.max(...times)) }
        log(`${name}: paint p50 ${paint[name].p50} ms, max ${paint[name].max} ms`)
      }
    } finally {
      await browser.close()
    }

  const timed = async (paths: string[]) => {
    const lat: number[] = []
    for (const path of paths) {
      const t0 = performance.now()
      const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`)
      lat.push(performance.now() - t0)
    }
    return { p50: ms(pct(lat, 50)), p99: ms(pct(lat, 99)), n: lat.length }
  }
  if (args.includes('--explain')) {
    const kinds: [string, SearchQuery][] = [
      ['customer', { q: p0.customer }],
      ['gateway reference', { q: p0.gateway_ref }],
      ['last four + amount', { q: '4242', amountMin: BigInt(p0.amount), amountMax: BigInt(p0.amount) }],
      ['payment id', { q: p0.payment_id }],
    ]
    for (const [kind, query] of kinds) {
      log(`EXPLAIN (ANALYZE, BUFFERS) search by ${kind}:`)
      const eq = t.app.services.search.compile(tenant, { ...query, types: ['payment'] }, 75)
      for (const line of await explainSearch(db, eq)) log(`  ${line}`)
    }
  }
  const q = (s: string) => `/v1/search?type=payment&limit=25&q=${encodeURIComponent(s)}`
  const searches = sample.flatMap((s, i) =>
    i % 3 === 0
      ? [q(s.customer)]
      : i % 3 === 1
        ? [q(s.gateway_ref)]
        : [`${q(i % 2 ? '4242' : '4444')}&amountMin=${s.amount}&amountMax=${s.amount}`],
  )
  const search = await timed(searches)
  log(`search: p50 ${search.p50} ms, p99 ${search.p99} ms (${search.n})`)
  const byId = await timed(sample.map((s) => q(s.payment_id)))
  log(`search by id: p50 ${byId.p50} ms, p99 ${byId.p99} ms`)
  // A last four alone: the seed gives half the payments 4242 (the sandbox's test card), the worst case.
  const lastFour = await timed(sample.map((_, i) => q(i % 2 ? '4242' : '4444')))
  log(`search by last four alone: p50 ${lastFour.p50} ms, p99 ${lastFour.p99} ms`)
  const list = await timed(sample.map((s) => `/v1/payments?order=desc&limit=25&after=${s.payment_id}`))
  log(`payments list page: p50 ${list.p50} ms, p99 ${list.p99} ms`)
  const byAmount = await timed(
    sample.map((s) => `/v1/payments?sort=amount&order=desc&limit=25&after=${s.payment_id}`),
  )
  log(`payments list page sorted by amount: p50 ${byAmount.p50} ms, p99 ${byAmount.p99} ms`)
  const verifyStart = performance.now()
  const verify = (await (
    await fetch(`${base}/v1/ledger/verify`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { ok: boolean }
  const verifyMs = ms(performance.now() - verifyStart)
  await t.close()
  process.stdout.write(
    `${JSON.stringify({ bench: 'console', payments: seeded?.payments ?? payments, ledgerEntries: seeded?.entries ?? transfers * 2, reusedSeed: seeded !== undefined, runs, paintMs: paint, searchMs: search, searchByIdMs: byId, searchLastFourMs: lastFour, listPageMs: list, listByAmountPageMs: byAmount, ledgerVerify: { ok: verify.ok, ms: verifyMs } })}\n`,
  )
}

/**
 * The newest tenant an earlier run seeded here (its funding account is the seed's marker), with what it
 * holds; undefined when there is none.
 */
async function seededTenant(
  db: Db,
): Promise<{ tenant: string; payments: number; entries: number } | undefined> {
  const found = (
    await sql<{ tenant_id: string }>`SELECT tenant_id FROM ledger_accounts WHERE account_id = ${FUNDING}
      ORDER BY created_at DESC LIMIT 1`.execute(db)
  ).rows[0]
  if (!found) return undefined
  const tenant = found.tenant_id
  const count = async (table: string) =>
    Number(
      (
        await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}
          WHERE tenant_id = ${tenant}`.execute(db)
      ).rows[0]!.n,
    )
  return { tenant, payments: await count('payments'), entries: await count('ledger_entries') }
}

/** An admin operator with TOTP enrolled through the API, signed in: its session token. */
async function adminSession(base: string, apiKey: string): Promise<string> {
  const call = async (path: string, body: unknown, bearer: string) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    })
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, unknown>
  }
  const email = `bench.${Date.now()}@example.com`
  const password = 'bench-console-passphrase-77'
  await call('/v1/operators', { email, password, role: 'admin' }, apiKey)
  const limited = String((await call('/v1/auth/login', { email, password }, '')).token)
  const enrol = await call('/v1/auth/mfa/enroll', {}, limited)
  const totp = new TOTP({ secret: Secret.fromBase32(String(enrol.secret)) })
  await call('/v1/auth/mfa/activate', { code: totp.generate() }, limited)
  const code = totp.generate({ timestamp: Date.now() + 30_000 })
  return String((await call('/v1/auth/login', { email, password, code }, '')).token)
}
