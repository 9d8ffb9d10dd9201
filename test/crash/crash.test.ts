/**
 * Crash safety of `moneta start` as deployed (a child process on PostgreSQL + a redis-server of the
 * test's own, Stripe through its official SDK against the local Stripe-protocol server, which
 * outlives the restarts as a real gateway would). Under a load of ledger transfers, payments,
 * captures, refunds and gateway webhooks, with clients retrying every request with its
 * Idempotency-Key until it is answered:
 *   1. the server is SIGKILLed twice and restarted;
 *   2. every database connection of its (own) database is terminated;
 *   3. its redis-server is killed and restarted empty.
 * and `moneta keys reencrypt` is SIGKILLed mid-way after a key rotation, then run again.
 * Then: `ledger verify` ok; every acknowledged operation applied exactly once (ledger balance, the
 * gateway's own record of captures and refunds); every retried key answers its original outcome;
 * every webhook answered 2xx applied (the gateway's amounts match ours); nothing left processing,
 * in flight or pending after the sweeper; every committed outbox event on the bus.
 * Runs against a database it creates (and drops) and a redis-server it starts: shared services
 * other suites use are never disturbed. Needs MONETA_TEST_DATABASE_URL and `redis-server`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { monetaCli } from '../support/cli.js'
import { monetaServer, type MonetaServer } from '../support/moneta-server.js'
import { ownRedisServer, type OwnRedis } from '../support/redis-server.js'
import { startStripeServer, type StripeServer } from '../support/vendors/stripe-server.js'

const baseUrl = process.env.MONETA_TEST_DATABASE_URL
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0
const WEBHOOK_SECRET = 'whsec_crash_test_stripe'
const PREFIX = 'crash'

type Json = Record<string, unknown>
interface Answer {
  readonly status: number
  readonly body: Json
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!baseUrl || !hasRedisServer)('crash safety of moneta start [postgres + redis]', () => {
  // Named after the base database (moneta_x → moneta_x_crash_…): whose run made it shows on a shared server.
  const baseName = baseUrl ? (/\/([A-Za-z0-9_]+)(\?|$)/.exec(baseUrl)?.[1] ?? 'moneta') : 'moneta'
  const dbName = `${baseName}_crash_${randomBytes(4).toString('hex')}`
  const dbUrl = baseUrl ? baseUrl.replace(/\/[^/?]*(\?|$)/, `/${dbName}$1`) : ''
  const dataDir = mkdtempSync(join(tmpdir(), 'moneta-crash-'))
  const apiKey = `crash-${randomBytes(24).toString('hex')}`
  let admin: pg.Client
  let redis: OwnRedis
  let stripe: StripeServer
  let server: MonetaServer
  let down = false // set while the test has the server stopped on purpose
  let interrupted = 0 // requests the faults cut off (the clients retried them)

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: baseUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${dbName}`)
    redis = await ownRedisServer()
    stripe = await startStripeServer()
    server = await monetaServer({
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      MONETA_REDIS_PREFIX: PREFIX,
      MONETA_API_KEY: apiKey,
      MONETA_DATA_DIR: dataDir,
      MONETA_STRIPE_SECRET_KEY: stripe.secretKey,
      MONETA_STRIPE_API_URL: `http://${stripe.host}:${stripe.port}`,
      MONETA_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      MONETA_PAYMENTS_SWEEP_MS: '300',
      // Longer than a gateway call takes on a loaded machine: a sweep while our own call is still
      // under way would race it (production waits 60 s).
      MONETA_PAYMENTS_SWEEP_AFTER_MS: '4000',
      MONETA_PAYMENTS_KEY_TAKEOVER_MS: '1500',
    })
    await server.start()
  }, 120_000)

  afterAll(async () => {
    await server?.kill('SIGKILL')
    await redis?.stop()
    await stripe?.close()
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined)
    await admin?.end()
    rmSync(dataDir, { recursive: true, force: true })
  }, 60_000)

  /** One request; a server that is down or restarting answers status 0. */
  async function request(method: string, path: string, body?: unknown, key?: string): Promise<Answer> {
    try {
      const r = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(key ? { 'idempotency-key': key } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      })
      return { status: r.status, body: (await r.json().catch(() => ({}))) as Json }
    } catch {
      return { status: 0, body: {} }
    }
  }

  const RETRY_CODES = new Set(['IDEMPOTENCY_IN_PROGRESS', 'PAYMENT_OPERATION_IN_PROGRESS'])
  /** What a client does: the same request with the same key until it gets a definite answer. */
  async function untilAnswered(method: string, path: string, body: unknown, key: string): Promise<Answer> {
    const deadline = Date.now() + 90_000
    for (;;) {
      const a = await request(method, path, body, key)
      const code = (a.body.error as { code?: string } | undefined)?.code
      const transient = a.status === 0 || a.status >= 500 || (code !== undefined && RETRY_CODES.has(code))
      if (!transient) return a
      interrupted++
      if (Date.now() > deadline)
        throw new Error(`${method} ${path} (${key}) never answered: ${JSON.stringify(a)}`)
      await sleep(50 + Math.random() * 100)
    }
  }

  it('SIGKILL twice, connections terminated, Redis restarted, all under load: nothing lost, nothing twice', async () => {
    expect(
      (
        await untilAnswered(
          'POST',
          '/v1/accounts',
          { id: 'cash', currency: 'USD', normalSide: 'debit' },
          'acc-cash',
        )
      ).status,
    ).toBe(201)
    expect(
      (
        await untilAnswered(
          'POST',
          '/v1/accounts',
          { id: 'w', currency: 'USD', normalSide: 'credit' },
          'acc-w',
        )
      ).status,
    ).toBe(201)
    const rules = {
      rules: [{ id: 'stripe', priority: 1, match: {}, gateways: [{ gateway: 'stripe', weight: 1 }] }],
    }
    expect((await request('PUT', '/v1/routing-rules', rules)).status).toBe(200)

    // ---- the load: each operation retried with its key until answered, 6 clients at once, going on
    // until every fault has happened (at least MIN_JOBS operations) ----
    const MIN_JOBS = 60
    const answers = new Map<string, { path: string; body: unknown; answer: Answer }>()
    const ask = async (method: string, path: string, body: unknown, key: string) => {
      const answer = await untilAnswered(method, path, body, key)
      answers.set(key, { path, body, answer })
      return answer
    }
    let transferred = 0
    let paymentsMade = 0
    const job = async (i: number) => {
      if (i % 3 === 0) {
        const legs = [{ source: 'cash', destination: 'w', amount: String(i + 1), currency: 'USD' }]
        // 200 is the replay of a transfer whose first answer the crash swallowed: applied once either way.
        expect([200, 201]).toContain((await ask('POST', '/v1/transactions', { legs }, `l-${i}`)).status)
        transferred += i + 1
      } else if (i % 3 === 1) {
        const body = { amount: '1000', currency: 'USD', paymentMethod: 'pm_card_visa' }
        const p = await ask('POST', '/v1/payments', body, `p-${i}`)
        expect([p.status, p.body.status], JSON.stringify(p.body)).toEqual([201, 'succeeded'])
        paymentsMade++
        const r = await ask('POST', `/v1/payments/${String(p.body.id)}/refunds`, { amount: '300' }, `r-${i}`)
        expect(r.status, JSON.stringify(r.body)).toBe(201)
      } else {
        const body = { amount: '700', currency: 'USD', paymentMethod: 'pm_card_visa', capture: 'manual' }
        const p = await ask('POST', '/v1/payments', body, `m-${i}`)
        expect([p.status, p.body.status], JSON.stringify(p.body)).toEqual([201, 'requires_capture'])
        paymentsMade++
        const c = await ask('POST', `/v1/payments/${String(p.body.id)}/capture`, {}, `c-${i}`)
        expect([c.status, c.body.status], JSON.stringify(c.body)).toEqual([200, 'succeeded'])
      }
    }
    let next = 0
    let faultsDone = false
    const clients = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!faultsDone || next < MIN_JOBS) await job(next++)
      }),
    )
    clients.catch(() => undefined) // awaited below, after the faults

    // Gateway webhooks: every event the gateway produced, delivered until answered 2xx.
    const sdk = new Stripe(stripe.secretKey)
    let delivered = 0
    let loadDone = false
    const deliverer = (async () => {
      while (!loadDone || delivered < stripe.events.length) {
        const event = stripe.events[delivered]
        if (!event) {
          await sleep(50)
          continue
        }
        const payload = JSON.stringify(event)
        const header = sdk.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })
        const r = await fetch(`${server.url}/v1/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': header },
          body: payload,
        }).catch(() => undefined)
        if (r && r.status < 300) delivered++
        else await sleep(50)
      }
    })()

    // ---- the faults, while the load runs ----
    const faults = (async () => {
      for (const after of [1500, 2500]) {
        await sleep(after)
        down = true
        await server.kill('SIGKILL')
        await server.start()
        down = false
      }
      await sleep(1000)
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [dbName],
      )
      await sleep(1000)
      expect(server.alive()).toBe(true) // a lost connection must not end the process
      await redis.stop()
      await sleep(300)
      await redis.start()
    })()

    await faults.finally(() => (faultsDone = true))
    await clients
    loadDone = true
    await deliverer
    expect(down).toBe(false)
    expect(server.alive()).toBe(true)
    expect(interrupted).toBeGreaterThan(0) // the faults did hit requests in flight
    console.info(
      `crash test: ${next} operations, ${interrupted} attempts cut off and retried, ${delivered} webhooks`,
    )

    // ---- every retried key answers its original outcome ----
    for (const [key, { path, body, answer }] of answers) {
      const again = await untilAnswered('POST', path, body, key)
      if (key.startsWith('l-') || key.startsWith('acc-')) {
        expect(again.body.transactionId ?? again.body.id, key).toBe(
          answer.body.transactionId ?? answer.body.id,
        )
      } else expect(again.body, key).toEqual(answer.body)
    }

    // ---- applied exactly once: the ledger ----
    const w = await request('GET', '/v1/accounts/w')
    expect((w.body.balances as Json).posted).toBe(String(transferred))
    const cli = monetaCli({ DATABASE_URL: dbUrl, MONETA_DATA_DIR: dataDir })
    const verify = await cli('ledger', 'verify', '--json')
    expect(JSON.parse(verify.out) as Json, verify.err).toMatchObject({ ok: true })

    // ---- applied exactly once: the gateway's own record against ours ----
    const db = new pg.Client({ connectionString: dbUrl })
    await db.connect()
    try {
      const settled = async () => {
        const r = await db.query<{ n: string }>(`SELECT
            (SELECT count(*) FROM payments WHERE status IN ('processing', 'unknown') OR in_flight IS NOT NULL)
          + (SELECT count(*) FROM payment_refunds WHERE status = 'pending')
          + (SELECT count(*) FROM payment_webhook_inbox WHERE status <> 'processed') AS n`)
        return Number(r.rows[0]!.n)
      }
      for (let i = 0; (await settled()) > 0; i++) {
        if (i > 250) throw new Error(`still pending after the sweeper:\n${server.log().slice(-3000)}`)
        await sleep(100)
      }
      const payments = await db.query<{
        gateway_ref: string
        amount_captured: string
        amount_refunded: string
      }>(`SELECT gateway_ref, amount_captured::text, amount_refunded::text FROM payments`)
      expect(payments.rows.length).toBe(paymentsMade)
      const refundsAtGateway = new Map<string, number[]>()
      for (const e of stripe.events) {
        const o = (e.data as { object: Json }).object
        if (o.object === 'refund' && e.type === 'refund.created')
          refundsAtGateway.set(String(o.payment_intent), [
            ...(refundsAtGateway.get(String(o.payment_intent)) ?? []),
            Number(o.amount),
          ])
      }
      for (const p of payments.rows) {
        const pi = stripe.paymentIntent(p.gateway_ref)!
        expect(BigInt(p.amount_captured), p.gateway_ref).toBe(BigInt(pi.amount_received as number))
        const refunds = refundsAtGateway.get(p.gateway_ref) ?? []
        expect(refunds.length, p.gateway_ref).toBeLessThanOrEqual(1) // never refunded twice
        expect(BigInt(p.amount_refunded), p.gateway_ref).toBe(BigInt(refunds.reduce((a, b) => a + b, 0)))
      }

      // ---- every committed outbox event reached the bus (republished after the Redis restart) ----
      const ids = (
        await db.query<{ event_id: string }>(`SELECT event_id FROM event_outbox WHERE failed_at IS NULL`)
      ).rows.map((r) => r.event_id)
      const onBus = async () => {
        const client = new Redis(redis.url)
        try {
          const seen = new Set<string>()
          for (const key of await client.keys(`${PREFIX}:s:*`))
            for (const [, fields] of await client.xrange(key, '-', '+'))
              if (fields[0] === 'e') seen.add((JSON.parse(fields[1]!) as { i: string }).i)
          return seen
        } finally {
          client.disconnect()
        }
      }
      for (let i = 0; ; i++) {
        const seen = await onBus()
        const missing = ids.filter((id) => !seen.has(id))
        if (missing.length === 0) break
        if (i > 100) throw new Error(`${missing.length} of ${ids.length} outbox events never reached the bus`)
        await sleep(200)
      }
    } finally {
      await db.end()
    }
  }, 180_000)

  it('key re-encryption SIGKILLed mid-way resumes where it stopped and moves every row', async () => {
    const luhn = (body: string) => {
      let sum = 0
      for (let i = 0; i < body.length; i++) {
        let d = Number(body[body.length - 1 - i])
        if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2
        sum += d
      }
      return `${body}${(10 - (sum % 10)) % 10}`
    }
    const CARDS = 200
    for (let i = 0; i < CARDS; i++) {
      const r = await untilAnswered(
        'POST',
        '/v1/vault/cards',
        { pan: luhn(`4000${String(i).padStart(11, '0')}`) },
        `card-${i}`,
      )
      expect([200, 201]).toContain(r.status)
    }
    const env = {
      DATABASE_URL: dbUrl,
      MONETA_DATA_DIR: dataDir,
      REDIS_URL: '',
      MONETA_CONFIG_FILE: '',
      LOG_LEVEL: 'silent',
    }
    const cli = monetaCli(env, { timeoutMs: 120_000 })
    expect((await cli('keys', 'rotate', '--reason', 'crash test')).code).toBe(0)

    const db = new pg.Client({ connectionString: dbUrl })
    await db.connect()
    try {
      const progress = async () =>
        (
          await db.query<{
            done: string
            finished: boolean
          }>(`SELECT coalesce(sum(rows_done), 0)::text AS done,
            coalesce(bool_and(finished_at IS NOT NULL), false) AS finished
            FROM crypto_reencrypt_progress WHERE job LIKE '%vault_cards%'`)
        ).rows[0]!
      const job = spawn(
        'node',
        ['bin/moneta.js', 'keys', 'reencrypt', '--batch-size', '1', '--no-progress'],
        {
          env: { ...process.env, ...env },
          stdio: 'ignore',
        },
      )
      const exited = new Promise((r) => job.once('exit', r))
      for (let i = 0; ; i++) {
        const p = await progress()
        if (Number(p.done) >= 10) break
        if (job.exitCode !== null || i > 3000)
          throw new Error(`re-encryption ended before it could be killed: ${JSON.stringify(p)}`)
        await sleep(10)
      }
      job.kill('SIGKILL')
      await exited
      const killedAt = await progress()
      expect(killedAt.finished).toBe(false)
      expect(Number(killedAt.done)).toBeLessThan(CARDS)

      const again = await cli('keys', 'reencrypt', '--no-progress')
      expect(again.code, again.err).toBe(0)
      expect(again.out).toMatch(
        /vault_cards\.pan_ct: \d+ re-encrypted under key \d+ \(resumed\), 0 remaining/,
      )
      const status = await cli('keys', 'status')
      expect(status.out).toMatch(new RegExp(`vault_cards\\.pan_ct: key \\d+: ${CARDS}\\n`))
    } finally {
      await db.end()
    }
    // The server kept serving the cards throughout.
    expect(server.alive()).toBe(true)
  }, 120_000)
})
