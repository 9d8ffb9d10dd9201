import { randomBytes } from 'node:crypto'
import type { HttpClient } from '../../src/modules/attack/index.js'
import { generateTransactions } from '../../src/modules/monitoring/index.js'

/**
 * Requests that succeed, for the mutating routes a schema-shaped body cannot reach (a transaction
 * needs existing accounts, a confirm needs an unconfirmed payment, a case status needs an open case).
 * Each recipe makes what its call needs through the API, then names the call; the coverage walk
 * (src/api/audit-trail.walk.test.ts) checks the audit entry of that call alone. Keyed by route as the
 * walk prints it (`METHOD /path/:param`). A route missing here is still walked with a sample body.
 */
export interface WalkCall {
  readonly path: string
  readonly body?: unknown
}
export type Recipe = (a: HttpClient) => Promise<WalkCall>

const uid = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`

async function ok<T>(a: HttpClient, method: string, path: string, body?: unknown): Promise<T> {
  const res = await a.request(method, path, {
    ...(body !== undefined ? { body } : {}),
    idempotencyKey: uid('walk'),
    retryRateLimited: true,
  })
  if (res.status < 200 || res.status >= 300)
    throw new Error(
      `walk recipe setup ${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
    )
  return res.body as T
}

async function accounts(a: HttpClient): Promise<[string, string]> {
  const ids: [string, string] = [uid('walk_acc'), uid('walk_acc')]
  await ok(a, 'POST', '/v1/accounts', { id: ids[0], currency: 'USD', normalSide: 'debit' })
  await ok(a, 'POST', '/v1/accounts', { id: ids[1], currency: 'USD', normalSide: 'credit' })
  return ids
}

const legs = ([src, dst]: [string, string]) => [
  { source: src, destination: dst, amount: '100', currency: 'USD' },
]

async function person(a: HttpClient): Promise<string> {
  const r = await ok<{ party: { id: string } }>(a, 'POST', '/v1/parties', {
    kind: 'person',
    roles: ['customer'],
    names: [{ value: `Walker ${randomBytes(3).toString('hex')} Quillfeather` }],
    nationalities: ['NO'],
  })
  return r.party.id
}

async function operator(a: HttpClient, role = 'analyst'): Promise<string> {
  const r = await ok<{ id: string }>(a, 'POST', '/v1/operators', {
    email: `${uid('walk')}@example.com`,
    password: `Walk-${randomBytes(12).toString('hex')}`,
    role,
  })
  return r.id
}

async function endpoint(a: HttpClient): Promise<string> {
  const r = await ok<{ id: string }>(a, 'POST', '/v1/webhook-endpoints', {
    url: 'https://hooks.example.com/walk',
  })
  return r.id
}

async function linkedBankAccount(a: HttpClient): Promise<string> {
  const lt = await ok<{ linkToken: string }>(a, 'POST', '/v1/banking/link-tokens', {
    customerId: uid('cus'),
    customerName: 'Alex Morgan', // the name the sandbox bank reports as the owner
  })
  const item = await ok<{ id: string }>(a, 'POST', '/v1/banking/items', {
    linkToken: lt.linkToken,
    publicToken: 'public-sandbox-',
  })
  const accs = await ok<{ items: { id: string; subtype: string }[] }>(
    a,
    'GET',
    `/v1/banking/accounts?itemId=${item.id}`,
  )
  return (accs.items.find((x) => x.subtype === 'checking') ?? accs.items[0])!.id
}

/** A case of the walking tenant still being worked (the seeders raise alerts that open cases). */
async function workedCase(a: HttpClient): Promise<{ caseId: string; status: string } | undefined> {
  const page = await ok<{ cases: { caseId: string; status: string }[] }>(a, 'GET', '/v1/cases?limit=50')
  return page.cases.find((c) => c.status !== 'closed')
}

export const WALK_RECIPES: Readonly<Record<string, Recipe>> = {
  'POST /v1/transactions': async (a) => ({
    path: '/v1/transactions',
    body: { legs: legs(await accounts(a)) },
  }),
  'POST /v1/transactions/bulk': async (a) => ({
    path: '/v1/transactions/bulk',
    body: { items: [{ op: 'create', legs: legs(await accounts(a)) }] },
  }),
  'POST /v1/transactions/:id/void': async (a) => {
    const t = await ok<{ id?: string; transactionId?: string }>(a, 'POST', '/v1/transactions', {
      legs: legs(await accounts(a)),
      pending: true,
    })
    return { path: `/v1/transactions/${t.transactionId ?? t.id}/void` }
  },
  'PATCH /v1/accounts/:id': async (a) => ({
    path: `/v1/accounts/${(await accounts(a))[0]}`,
    body: { metadata: { walked: 'yes' } },
  }),
  'POST /v1/market/rules': () =>
    Promise.resolve({
      path: '/v1/market/rules',
      body: { instrument: 'WALK', kind: 'price_cross', level: '100', direction: 'up' },
    }),
  'POST /v1/monitoring/rule-sets': () =>
    Promise.resolve({
      path: '/v1/monitoring/rule-sets',
      body: {
        rules: [
          {
            id: 'walk_large',
            when: 'txn.amount >= 100000000',
            outcome: 'review',
            score: 40,
            reason: 'Large',
          },
        ],
      },
    }),
  'POST /v1/monitoring/backtests': async (a) => {
    const rs = await ok<{ version: number }>(a, 'POST', '/v1/monitoring/rule-sets', {
      rules: [
        { id: 'walk_bt', when: 'txn.amount >= 100000000', outcome: 'review', score: 40, reason: 'Large' },
      ],
    })
    return {
      path: '/v1/monitoring/backtests',
      body: { version: rs.version, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    }
  },
  'POST /v1/monitoring/history': () =>
    Promise.resolve({
      path: '/v1/monitoring/history',
      body: {
        transactions: [
          {
            id: uid('walk_txn'),
            amount: '1000',
            currency: 'USD',
            kind: 'transfer',
            src: 'walk_a',
            dst: 'walk_b',
          },
        ],
      },
    }),
  // Training needs labelled history: a small generated one loaded like a user would, then trained on its range.
  // Promotion (a signed-in operator) and scoring (a live model) stay unreached by an API key: docs/risk.md.
  'POST /v1/risk/models/train': async (a) => {
    const data = generateTransactions({ customers: 300, days: 40, seed: 5, caseRate: 0.06 })
    const iso = (ms: number) => new Date(ms).toISOString()
    for (let i = 0; i < data.txns.length; i += 2000)
      await ok(a, 'POST', '/v1/monitoring/history', {
        transactions: data.txns.slice(i, i + 2000).map((t) => ({
          id: `walk_${t.id}`,
          at: iso(t.at),
          amount: t.amount.toString(),
          currency: t.currency,
          kind: t.kind,
          src: t.src,
          dst: t.dst,
          ...(t.srcCountry ? { srcCountry: t.srcCountry } : {}),
          ...(t.dstCountry ? { dstCountry: t.dstCountry } : {}),
          ...(t.srcCustomer ? { srcCustomer: t.srcCustomer } : {}),
          ...(t.dstCustomer ? { dstCustomer: t.dstCustomer } : {}),
        })),
        ...(i === 0
          ? {
              labels: data.cases.map((c) => ({
                id: `walk_${c.id}`,
                typology: c.typology,
                members: c.members,
                primary: c.primary,
                start: iso(c.start),
                end: iso(c.end),
              })),
            }
          : {}),
      })
    return {
      path: '/v1/risk/models/train',
      body: { from: iso(data.start), to: iso(data.end + 86_400_000), trees: 10, depth: 3 },
    }
  },
  'POST /v1/webhook-endpoints': () =>
    Promise.resolve({ path: '/v1/webhook-endpoints', body: { url: 'https://hooks.example.com/walk' } }),
  'PATCH /v1/webhook-endpoints/:id': async (a) => ({
    path: `/v1/webhook-endpoints/${await endpoint(a)}`,
    body: { description: 'walked' },
  }),
  'PUT /v1/routing-rules': () =>
    Promise.resolve({
      path: '/v1/routing-rules',
      body: {
        rules: [
          {
            id: 'walk',
            priority: 1,
            match: { currencies: ['USD'] },
            gateways: [{ gateway: 'sandbox', weight: 1 }],
          },
        ],
      },
    }),
  'POST /v1/operators': () =>
    Promise.resolve({
      path: '/v1/operators',
      body: {
        email: `${uid('walk')}@example.com`,
        password: `Walk-${randomBytes(12).toString('hex')}`,
        role: 'analyst',
      },
    }),
  'PUT /v1/operators/:id/role': async (a) => ({
    path: `/v1/operators/${await operator(a)}/role`,
    body: { role: 'auditor' },
  }),
  'POST /v1/operators/:id/password': async (a) => ({
    path: `/v1/operators/${await operator(a)}/password`,
    body: { password: `Walk-${randomBytes(12).toString('hex')}` },
  }),
  'POST /v1/api-keys': () =>
    Promise.resolve({ path: '/v1/api-keys', body: { name: 'walk', scopes: ['payments:read'] } }),
  'POST /v1/banking/items': async (a) => {
    const lt = await ok<{ linkToken: string }>(a, 'POST', '/v1/banking/link-tokens', {
      customerId: uid('cus'),
      customerName: 'Alex Morgan', // the name the sandbox bank reports as the owner
    })
    return { path: '/v1/banking/items', body: { linkToken: lt.linkToken, publicToken: 'public-sandbox-' } }
  },
  'POST /v1/banking/transfers': async (a) => ({
    path: '/v1/banking/transfers',
    body: { accountId: await linkedBankAccount(a), direction: 'debit', amount: '1000', currency: 'USD' },
  }),
  'POST /v1/payments/:id/confirm': async (a) => {
    const p = await ok<{ id: string }>(a, 'POST', '/v1/payments', {
      amount: '1000',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      confirm: false,
    })
    return { path: `/v1/payments/${p.id}/confirm`, body: {} }
  },
  'POST /v1/payments/:id/cancel': async (a) => {
    const p = await ok<{ id: string }>(a, 'POST', '/v1/payments', {
      amount: '1000',
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      capture: 'manual',
    })
    return { path: `/v1/payments/${p.id}/cancel`, body: {} }
  },
  'PATCH /v1/parties/:id': async (a) => ({
    path: `/v1/parties/${await person(a)}`,
    body: { country: 'NO' },
  }),
  'POST /v1/parties/:id/status': async (a) => ({
    path: `/v1/parties/${await person(a)}/status`,
    body: { status: 'active', reason: 'Onboarding checks done (walk)' },
  }),
  'POST /v1/cases/:id/status': async (a) => {
    const c = await workedCase(a)
    const next = c?.status === 'investigating' ? 'escalated' : 'investigating'
    return { path: `/v1/cases/${c?.caseId ?? 'none_open'}/status`, body: { status: next, note: 'walk' } }
  },
  'POST /v1/cases/:id/attachments': async (a) => {
    const c = await workedCase(a)
    return {
      path: `/v1/cases/${c?.caseId ?? 'none_open'}/attachments`,
      body: {
        name: 'walk.txt',
        mediaType: 'text/plain',
        contentBase64: Buffer.from('walk').toString('base64'),
      },
    }
  },
}
