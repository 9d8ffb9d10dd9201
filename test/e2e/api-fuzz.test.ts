import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandboxProvider } from '../../src/modules/banking/index.js'
import { signSandboxWebhook } from '../../src/modules/payments/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { operationsOf, type FuzzRequest, type Operation, type Signer } from '../support/fuzz/requests.js'
import { documentedErrorCodes, runFuzz, summarize } from '../support/fuzz/run.js'

/** TEST-NET-2 (RFC 5737): never a real peer; light-my-request sends nothing over a network. */
const FUZZ_ADDRESS = '198.51.100.77'

/**
 * Issue 15 "Faults and hostile input" 1: every operation of the OpenAPI document, fuzzed with
 * mostly-valid requests carrying hostile values (NUL, lone surrogates, numbers beyond their column,
 * injection strings), raw bodies (deep, huge, null, not JSON), content-type, header and path tricks.
 * The edge's contract: no status ≥ 500, no crash, every 4xx in our shape with a code docs/errors.md
 * documents. Seeded: FUZZ_SEED=<seed> replays a run; FUZZ_REQUESTS=<n> widens it (`npm run fuzz`).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122)
const BUDGET = Number(process.env.FUZZ_REQUESTS ?? 2000)
const BANK_SECRET = 'fuzz-sandbox-bank-webhook-secret'
const GATEWAY_SECRET = `whsec_${Buffer.from('fuzz-gateway-webhook-secret-32-b').toString('base64')}`

/** The signed webhook routes, as concrete operations with the body their sender signs. */
const SIGNED_OPERATIONS: Operation[] = [
  {
    method: 'POST',
    path: '/v1/webhooks/sandbox',
    pathParams: {},
    query: {},
    public: true,
    body: {
      type: 'object',
      required: ['id', 'type', 'created', 'data'],
      properties: {
        id: { type: 'string', pattern: '^evt_[a-z0-9]{4,12}$' },
        type: { enum: ['payment.captured', 'refund.succeeded', 'dispute.opened', 'payment.failed', 'x.y'] },
        created: { type: 'string', format: 'date-time' },
        data: {
          type: 'object',
          properties: {
            paymentRef: { type: 'string' },
            paymentId: { type: 'string' },
            tenantId: { type: 'string' },
            objectRef: { type: 'string' },
            amount: { type: 'string', pattern: '^[0-9]{1,20}$' },
            currency: { enum: ['USD', 'EUR', 'JPY'] },
            fee: { type: 'string', pattern: '^[0-9]{1,3}$' },
          },
        },
      },
    },
  },
  {
    method: 'POST',
    path: '/v1/banking/webhooks/sandbox',
    pathParams: {},
    query: {},
    public: true,
    body: {
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^wh_[a-z0-9]{4,12}$' },
        item_id: { type: 'string' },
        code: { enum: ['SYNC_UPDATES_AVAILABLE', 'ITEM_LOGIN_REQUIRED', 'LOGIN_REPAIRED', 'OTHER'] },
      },
    },
  },
]

const idOf = (body: string): string => {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id
    return typeof id === 'string' && /^[\x21-\x7e]{1,200}$/.test(id) ? id : 'evt_fuzz'
  } catch {
    return 'evt_fuzz'
  }
}

const bankSandbox = createSandboxProvider({ webhookSecret: BANK_SECRET })
const signers: Record<string, Signer> = {
  '/v1/webhooks/sandbox': (body) => ({
    'content-type': 'application/json',
    ...signSandboxWebhook(GATEWAY_SECRET, body, { id: idOf(body), at: new Date() }),
  }),
  // The bank sandbox signs JSON.stringify(object): the same bytes as the fuzzer's JSON bodies.
  '/v1/banking/webhooks/sandbox': (body) => {
    let parsed: unknown
    try {
      parsed = JSON.parse(body)
    } catch {
      parsed = undefined
    }
    const object = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { body }
    try {
      return bankSandbox.webhook(object).headers
    } catch (err) {
      if (!(err instanceof RangeError)) throw err
      // nested past JSON.stringify's stack (the raw 20,000-deep bodies): signed as a wrapper, so the
      // server sees a signature that does not match, as for any other unsigned body
      return bankSandbox.webhook({ body }).headers
    }
  },
}

// On real PostgreSQL when CI provides it (what production runs), else on PGlite.
const target = testDbTargets().at(-1)!

describe(`API fuzzer over the OpenAPI document (${target.name})`, () => {
  let t: TestApp
  const crashes: unknown[] = []
  const onCrash = (e: unknown) => crashes.push(e)

  beforeAll(async () => {
    t = await createTestApp(target, {
      env: {
        MONETA_SANDBOX_WEBHOOK_SECRET: GATEWAY_SECRET,
        MONETA_SANDBOX_BANK_WEBHOOK_SECRET: BANK_SECRET,
        MONETA_RATE_LIMIT_PER_KEY: '100000000',
        MONETA_RATE_LIMIT_PER_ADDRESS: '100000000',
        MONETA_RATE_LIMIT_LOGIN: '100000000',
        MONETA_RATE_LIMIT_WEBHOOKS: '100000000',
      },
    })
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
  })
  afterAll(async () => {
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
    await t.close()
  })

  it(`answers ${BUDGET} hostile requests over every operation with no 5xx, no crash and documented 4xx codes`, async () => {
    const doc = (await t.app.server.inject({ method: 'GET', url: '/docs/json' })).json<
      Parameters<typeof operationsOf>[0]
    >()
    // A server-sent event stream never ends by design: its schema is fuzzed by the alerts query route.
    const operations = [...operationsOf(doc), ...SIGNED_OPERATIONS].filter(
      (op) => !op.path.endsWith('/stream'),
    )
    expect(operations.length).toBeGreaterThan(100)
    const documentedCodes = documentedErrorCodes(readFileSync('docs/errors.md', 'utf8'))
    const send = async (req: FuzzRequest) => {
      try {
        const r = await t.app.server.inject({
          method: req.method as 'GET',
          url: req.url,
          headers: req.headers,
          // Its own source address: the fuzzer's failed sign-ins lock the address they come from,
          // and suites sharing the database sign in from 127.0.0.1.
          remoteAddress: FUZZ_ADDRESS,
          ...(req.payload === undefined ? {} : { payload: req.payload }),
        })
        return { status: r.statusCode, body: r.body }
      } catch (e) {
        // light-my-request refuses to build some requests (header bytes Node would not send either).
        if (e instanceof TypeError || (e as { code?: string }).code === 'ERR_INVALID_CHAR')
          return { status: 0, body: '' }
        throw e
      }
    }
    const keys = await t.app.server.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${t.bootstrapApiKey}` },
    })
    const protectedIds = [...keys.body.matchAll(/key_[0-9a-f]{32}/g)].map((m) => m[0])
    expect(protectedIds.length).toBeGreaterThan(0)
    const started = Date.now()
    const report = await runFuzz({
      seed: SEED,
      budget: BUDGET,
      operations,
      documentedCodes,
      send,
      authorization: `Bearer ${t.bootstrapApiKey}`,
      signers,
      protectedIds,
      hostileWeight: 2,
      progress: (n) =>
        process.stdout.write(`fuzz: ${n} requests, ${((Date.now() - started) / 1000).toFixed(0)} s\n`),
    })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    process.stdout.write(
      `fuzz: seed ${SEED}, ${report.requests} requests over ${report.operations} operations in ${seconds} s; statuses ${JSON.stringify(report.byStatus)}; slowest ${JSON.stringify(report.slowest.slice(0, 5))}\n`,
    )
    expect(crashes, `crashes during fuzz seed ${SEED}`).toEqual([])
    expect(report.findings.length, summarize(report)).toBe(0)
    // Most requests must get past validation to some handler, or the fuzzer tests only the schema layer.
    const reachedHandlers = Object.entries(report.byStatus)
      .filter(([s]) => !['0', '400', '401', '414', '415'].includes(s))
      .reduce((n, [, c]) => n + c, 0)
    expect(reachedHandlers).toBeGreaterThan(BUDGET * 0.25)
  }, 600_000)
})
