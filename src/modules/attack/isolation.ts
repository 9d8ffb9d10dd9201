import { createHash, randomBytes } from 'node:crypto'
import { describe, field, idemKey, type Exchange, type HttpClient } from './http.js'
import { fillPath, sampleBody, type Operation } from './openapi.js'
import { generateTransactions, type MonTxn } from '../monitoring/index.js'
import { createAuthorisedPayment } from './payments.js'
import { postSandboxEvent } from './sandbox-webhook.js'

/** One object made in tenant A through the API, with where it lives and how A reads it back. */
export interface SeededObject {
  readonly kind: string
  /** Collections whose id parameter takes this id: a path ends with one (`/v1/payments` for /v1/payments/{id}). */
  readonly resources: readonly string[]
  readonly id: string
  /** GET path A uses to snapshot it; undefined when the API has no single-object read. */
  readonly readPath: string | undefined
}

export interface TenantSeed {
  readonly objects: SeededObject[]
  /** A string stored in A's objects (metadata, notes, names); it must never appear in B's answers. */
  readonly marker: string
  /** Kinds that could not be made, with the answer that stopped them. */
  readonly failures: string[]
}

/** What seeding may use beyond tenant A's key. */
export interface SeedOptions {
  /**
   * The target's MONETA_SANDBOX_WEBHOOK_SECRET: with it, A also gets a stray charge (only a gateway's
   * webhook makes one); without it that kind is not seeded.
   */
  readonly sandboxWebhookSecret?: string
}

type Seeder = (
  a: HttpClient,
  marker: string,
  add: (o: SeededObject) => void,
  opts: SeedOptions,
) => Promise<void>

function must(res: Exchange, what: string, ...ok: number[]): Exchange {
  if (!ok.includes(res.status))
    throw new Error(`${what}: ${describe(res)} ${JSON.stringify(res.body).slice(0, 160)}`)
  return res
}

const sampleListBody = (marker: string) => ({ items: [marker] })
/**
 * A's asynchronous payment command and its Idempotency-Key, both known to the sweep: B sends the same
 * request under the same key, which must be a new command of B's, not A's (keys are per tenant).
 */
const commandRequestOf = (marker: string) => ({
  amount: '1500',
  currency: 'USD',
  paymentMethod: 'pm_card_visa',
  description: marker,
})
// Not the marker itself: B's own answer echoes the key, and the marker in an answer reads as a leak.
const commandKeyOf = (marker: string) =>
  `command-${createHash('sha256').update(marker).digest('hex').slice(0, 32)}`

/** Transactions per POST /v1/monitoring/history (the route's documented batch limit). */
const HISTORY_BATCH = 2000

/** A monitored transaction as the API takes it (amounts as strings, times as ISO). */
const txnBody = (t: MonTxn) => ({
  ...t,
  at: new Date(t.at).toISOString(),
  amount: t.amount.toString(),
})

/** Parameters under which fan_out lists every sender, A's included if the tenant scope failed. */
const FRAUD_QUERY_PROBE = { params: { min_counterparties: 1, limit: 100_000 } }

const SEEDERS: Record<string, Seeder> = {
  async ledger(a, marker, add) {
    const ids = [1, 2].map(() => `atk_${randomBytes(6).toString('hex')}`)
    for (const [i, id] of ids.entries()) {
      must(
        await a.request('POST', '/v1/accounts', {
          body: { id, currency: 'USD', normalSide: i === 0 ? 'debit' : 'credit', metadata: { marker } },
          idempotencyKey: idemKey(),
        }),
        'create account',
        201,
      )
      add({ kind: 'account', resources: ['/v1/accounts'], id, readPath: `/v1/accounts/${id}` })
    }
    const txn = must(
      await a.request('POST', '/v1/transactions', {
        body: {
          legs: [{ source: ids[0], destination: ids[1], amount: '500', currency: 'USD' }],
          pending: true,
          metadata: { marker },
        },
        idempotencyKey: idemKey(),
      }),
      'create pending transaction',
      201,
    )
    const txnId = String(field(txn, 'transactionId') ?? field(txn, 'id'))
    add({
      kind: 'transaction',
      resources: ['/v1/transactions'],
      id: txnId,
      readPath: `/v1/transactions/${txnId}`,
    })
  },
  async vault(a, _marker, add) {
    const res = must(
      await a.request('POST', '/v1/vault/cards', {
        body: { pan: '4242424242424242', expMonth: 7, expYear: 2031 },
      }),
      'tokenize card',
      200,
      201,
    )
    const token = String(field(res, 'token'))
    add({
      kind: 'card token',
      resources: ['/v1/vault/cards'],
      id: token,
      readPath: `/v1/vault/cards/${token}`,
    })
  },
  async market(a, _marker, add) {
    const res = must(
      await a.request('POST', '/v1/market/rules', {
        body: { instrument: 'ATKUSD', kind: 'price_cross', level: '100' },
      }),
      'create market rule',
      200,
      201,
    )
    add({
      kind: 'market rule',
      resources: ['/v1/market/rules'],
      id: String(field(res, 'id')),
      readPath: undefined,
    })
  },
  async monitoring(a, marker, add) {
    const res = must(
      await a.request('POST', '/v1/monitoring/rule-sets', {
        body: {
          note: marker,
          rules: [{ id: 'atk', when: 'txn.amount > 1', outcome: 'review', score: 1, reason: marker }],
        },
      }),
      'create rule set',
      201,
    )
    const version = String(field(res, 'version'))
    add({
      kind: 'rule set',
      resources: ['/v1/monitoring/rule-sets'],
      id: version,
      readPath: `/v1/monitoring/rule-sets/${version}`,
    })
  },
  async monitoringLabels(a, marker, add) {
    const id = `atk_${randomBytes(6).toString('hex')}`
    must(
      await a.request('POST', '/v1/monitoring/history', {
        body: {
          labels: [
            {
              id,
              typology: 'fan_in',
              members: [marker],
              primary: [marker],
              start: '2026-01-01T00:00:00Z',
              end: '2026-01-02T00:00:00Z',
            },
          ],
        },
      }),
      'load monitoring history',
      200,
    )
    add({
      kind: 'monitoring label',
      resources: ['/v1/monitoring/labels'],
      id,
      readPath: '/v1/monitoring/labels',
    })
  },
  async riskModel(a, _marker, add) {
    // A model needs labelled history: a small generated one, loaded like a user would, then trained.
    const data = generateTransactions({ customers: 100, days: 40, seed: 5, caseRate: 0.15 })
    const iso = (ms: number) => new Date(ms).toISOString()
    for (let i = 0; i < data.txns.length; i += HISTORY_BATCH) {
      must(
        await a.request('POST', '/v1/monitoring/history', {
          body: {
            transactions: data.txns.slice(i, i + HISTORY_BATCH).map(txnBody),
            ...(i === 0
              ? {
                  parties: data.parties.map((p) => ({ ...p, openedAt: iso(p.openedAt) })),
                  labels: data.cases.map((c) => ({
                    id: c.id,
                    typology: c.typology,
                    members: c.members,
                    primary: c.primary,
                    start: iso(c.start),
                    end: iso(c.end),
                  })),
                }
              : {}),
          },
        }),
        'load labelled history',
        200,
      )
    }
    // Trained on the loaded window only: other seeders' transactions reach monitoring at today's
    // time (through the ledger consumer, whenever it catches up), and a range stretched to today
    // would put the validation split where there are no labels.
    const window = { from: iso(data.start), to: iso(data.end) }
    const res = must(
      await a.request('POST', '/v1/risk/models/train', { body: { trees: 5, depth: 3, ...window } }),
      'train a risk model',
      200,
    )
    const id = String(field<{ id?: unknown }>(res, 'model')?.id)
    add({ kind: 'risk model', resources: ['/v1/risk/models'], id, readPath: `/v1/risk/models/${id}` })
  },
  async monitoringList(a, marker, add) {
    const name = `atk_${marker.slice(-12)}`.toLowerCase()
    must(
      await a.request('PUT', `/v1/monitoring/lists/${name}`, { body: sampleListBody(marker) }),
      'create monitoring list',
      200,
      201,
    )
    add({
      kind: 'monitoring list',
      resources: ['/v1/monitoring/lists'],
      id: name,
      readPath: '/v1/monitoring/lists',
    })
  },
  /**
   * A stray charge (ADR 0506): A's payment canceled before it was ever sent, then a charge for it
   * reported by the sandbox's signed webhook, as a late request brings one. B must not list it, nor
   * resolve it by id — a 409 "not failed" for A's id would tell B that it exists.
   */
  async strayCharge(a, marker, add, opts) {
    if (!opts.sandboxWebhookSecret) return
    const created = must(
      await a.request('POST', '/v1/payments', {
        body: {
          amount: '700',
          currency: 'USD',
          paymentMethod: 'pm_card_visa',
          confirm: false,
          metadata: { marker },
        },
        idempotencyKey: idemKey(),
      }),
      'create unconfirmed payment',
      201,
    )
    const paymentId = String(field(created, 'id'))
    must(
      await a.request('POST', `/v1/payments/${paymentId}/cancel`, { idempotencyKey: idemKey() }),
      'cancel payment',
      200,
    )
    const charge = {
      id: `atk_evt_${randomBytes(8).toString('hex')}`,
      type: 'payment.captured',
      created: new Date().toISOString(),
      data: {
        paymentId,
        paymentRef: `atk_ch_${randomBytes(8).toString('hex')}`,
        amount: '700',
        currency: 'USD',
      },
    }
    must(await postSandboxEvent(a, opts.sandboxWebhookSecret, charge), 'late charge webhook', 200, 202)
    // The inbox applies the webhook in the background: wait for the stray charge it records.
    const readPath = `/v1/payments/${paymentId}/stray-charges`
    for (let i = 0; i < 100; i++) {
      const [stray] = field<{ id: string }[]>(await a.request('GET', readPath), 'items') ?? []
      if (stray)
        return add({ kind: 'stray charge', resources: ['/v1/stray-charges'], id: stray.id, readPath })
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`no stray charge recorded for ${paymentId} 10 s after its webhook`)
  },
  async payments(a, marker, add) {
    const p = await createAuthorisedPayment(a, '1000')
    must(
      await a.request('PATCH', `/v1/payments/${p.id}`, {
        body: { metadata: { marker } },
        idempotencyKey: idemKey(),
      }),
      'tag payment',
      200,
    )
    add({ kind: 'payment', resources: ['/v1/payments'], id: p.id, readPath: `/v1/payments/${p.id}` })
    const captured = await createAuthorisedPayment(a, '2000')
    must(
      await a.request('POST', `/v1/payments/${captured.id}/capture`, { body: {}, idempotencyKey: idemKey() }),
      'capture',
      200,
    )
    const refund = must(
      await a.request('POST', `/v1/payments/${captured.id}/refunds`, {
        body: { amount: '100', reason: marker },
        idempotencyKey: idemKey(),
      }),
      'refund',
      201,
    )
    add({
      kind: 'captured payment',
      resources: ['/v1/payments'],
      id: captured.id,
      readPath: `/v1/payments/${captured.id}`,
    })
    add({
      kind: 'refund',
      resources: ['/refunds'],
      id: String(field(refund, 'id')),
      readPath: `/v1/payments/${captured.id}/refunds`,
    })
  },
  /**
   * An asynchronous payment command (POST /v1/payments?async=true): B must not read it by id
   * (GET /v1/payments/commands/:id answers 404). Its description carries the marker, so a leak of the
   * stored request shows. Seeded once drained (or after 10 s still accepted, when no worker runs), so
   * a worker completing it between the snapshots is not taken for B's doing.
   */
  async paymentCommands(a, marker, add) {
    const res = must(
      await a.request('POST', '/v1/payments?async=true', {
        body: commandRequestOf(marker),
        idempotencyKey: commandKeyOf(marker),
      }),
      'accept payment command',
      202,
    )
    const id = String(field(res, 'commandId'))
    const readPath = `/v1/payments/commands/${id}`
    for (let waited = 0; waited < 10_000; waited += 250) {
      if (field(must(await a.request('GET', readPath), 'read payment command', 200), 'status') !== 'accepted')
        break
      await new Promise((r) => setTimeout(r, 250))
    }
    add({ kind: 'payment command', resources: ['/v1/payments/commands'], id, readPath })
  },
  async webhookEndpoints(a, marker, add) {
    const res = must(
      await a.request('POST', '/v1/webhook-endpoints', {
        // Disabled: an enabled endpoint would receive the other seeded objects' events, and its
        // delivery state (failingSince) would change between the snapshots with no help from B.
        body: { url: 'https://attack.example/hook', description: marker, enabled: false },
      }),
      'create webhook endpoint',
      201,
    )
    const id = String(field(res, 'id'))
    add({
      kind: 'webhook endpoint',
      resources: ['/v1/webhook-endpoints'],
      id,
      readPath: `/v1/webhook-endpoints/${id}`,
    })
  },
  async banking(a, marker, add) {
    const lt = must(
      // The sandbox bank reports this owner; transfers check it against the customer's name.
      await a.request('POST', '/v1/banking/link-tokens', {
        body: { customerId: 'atk_cus', customerName: 'Alex Morgan' },
      }),
      'create link token',
      201,
    )
    const item = must(
      await a.request('POST', '/v1/banking/items', {
        body: { linkToken: field(lt, 'linkToken'), publicToken: 'public-sandbox-' },
      }),
      'link sandbox item',
      201,
    )
    const itemId = String(field(item, 'id'))
    add({
      kind: 'bank item',
      resources: ['/v1/banking/items'],
      id: itemId,
      readPath: `/v1/banking/items/${itemId}`,
    })
    const accounts = must(
      await a.request('GET', `/v1/banking/accounts?itemId=${itemId}`),
      'list bank accounts',
      200,
    )
    const list = field<{ id: string; subtype?: string }[]>(accounts, 'items') ?? []
    const account = list.find((x) => x.subtype === 'checking') ?? list[0]
    if (!account) throw new Error('the linked item has no accounts')
    add({
      kind: 'bank account',
      resources: ['/v1/banking/accounts'],
      id: account.id,
      readPath: `/v1/banking/accounts/${account.id}`,
    })
    const transfer = must(
      await a.request('POST', '/v1/banking/transfers', {
        body: {
          accountId: account.id,
          direction: 'debit',
          amount: '2500',
          currency: 'USD',
          description: marker,
        },
        idempotencyKey: idemKey(),
      }),
      'create bank transfer',
      201,
    )
    const transferId = String(field(transfer, 'id'))
    add({
      kind: 'bank transfer',
      resources: ['/v1/banking/transfers'],
      id: transferId,
      readPath: `/v1/banking/transfers/${transferId}`,
    })
  },
  async parties(a, marker, add) {
    const res = must(
      await a.request('POST', '/v1/parties', {
        body: { kind: 'person', roles: ['counterparty'], names: [{ value: `Atk ${marker}` }] },
        idempotencyKey: idemKey(),
      }),
      'onboard party',
      201,
    )
    const id = String(field<{ id: string }>(res, 'party')?.id)
    add({ kind: 'party', resources: ['/v1/parties'], id, readPath: `/v1/parties/${id}` })
  },
  async operators(a, marker, add) {
    const email = `${marker}@tenant-a.example`
    const res = must(
      await a.request('POST', '/v1/operators', {
        body: { email, password: `Atk!${randomBytes(18).toString('base64url')}9z`, role: 'analyst' },
      }),
      'create operator',
      201,
    )
    add({ kind: 'operator', resources: ['/v1/operators'], id: String(field(res, 'id')), readPath: undefined })
  },
  async apiKeys(a, marker, add) {
    const res = must(
      await a.request('POST', '/v1/api-keys', { body: { name: marker, scopes: ['payments:read'] } }),
      'create API key',
      201,
    )
    add({ kind: 'API key', resources: ['/v1/api-keys'], id: String(field(res, 'id')), readPath: undefined })
  },
  // A monitored transaction whose accounts carry the marker, exported to Parquet by the export worker
  // (MONETA_ANALYTICS_EXPORT_MS): B then runs the fraud query that would list those accounts.
  async analytics(a, marker, add) {
    must(
      await a.request('POST', '/v1/monitoring/evaluate', {
        body: {
          id: `atk_fq_${marker.slice(-10)}`,
          amount: '77',
          currency: 'USD',
          kind: 'transfer',
          src: `${marker}_src`,
          dst: `${marker}_dst`,
          budgetMs: 10_000,
        },
      }),
      'evaluate',
      200,
    )
    for (let i = 0; i < 80; i++) {
      const res = await a.request('POST', '/v1/analytics/queries/fan_out', { body: FRAUD_QUERY_PROBE })
      if (JSON.stringify(res.body).includes(marker)) {
        add({ kind: 'fraud query', resources: ['/v1/analytics/queries'], id: 'fan_out', readPath: undefined })
        return
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    // The export worker is off (MONETA_ANALYTICS_EXPORT_MS unset): there is no exported A data for B to
    // reach, so nothing to seed; the tenant-isolation e2e runs the worker and asserts this kind is seeded.
  },
  // Billing: a product (named after the marker), its price, a customer's saved sandbox card, a
  // subscription and the invoice its creation issued, so B probes every billing route with A's ids.
  async billing(a, marker, add) {
    const product = must(
      await a.request('POST', '/v1/products', {
        body: { name: `Atk ${marker}`, metadata: { marker } },
        idempotencyKey: idemKey(),
      }),
      'create product',
      201,
    )
    const productId = String(field(product, 'id'))
    add({
      kind: 'product',
      resources: ['/v1/products'],
      id: productId,
      readPath: `/v1/products/${productId}`,
    })
    const price = must(
      await a.request('POST', '/v1/prices', {
        body: {
          productId,
          currency: 'USD',
          model: { kind: 'fixed', amount: '4100' },
          interval: { unit: 'month', count: 1 },
        },
        idempotencyKey: idemKey(),
      }),
      'create price',
      201,
    )
    const priceId = String(field(price, 'id'))
    add({ kind: 'price', resources: ['/v1/prices'], id: priceId, readPath: `/v1/prices/${priceId}` })
    const party = must(
      await a.request('POST', '/v1/parties', {
        body: { kind: 'person', roles: ['customer'], names: [{ value: `Atk customer ${marker}` }] },
        idempotencyKey: idemKey(),
      }),
      'onboard customer',
      201,
    )
    const customerId = String(field<{ id: string }>(party, 'party')?.id)
    const attached = must(
      await a.request('POST', `/v1/customers/${customerId}/payment-methods`, {
        body: { gateway: 'sandbox', paymentMethod: 'pm_card_visa' },
        idempotencyKey: idemKey(),
      }),
      'save payment method',
      201,
    )
    const methodId = String(field<{ id: string }>(attached, 'paymentMethod')?.id)
    // The customer's id fills /v1/customers/{id}/…, the method's id …/payment-methods/{methodId}.
    add({
      kind: 'billing customer',
      resources: ['/v1/customers'],
      id: customerId,
      readPath: `/v1/customers/${customerId}/payment-methods`,
    })
    add({ kind: 'payment method', resources: ['/payment-methods'], id: methodId, readPath: undefined })
    const sub = must(
      await a.request('POST', '/v1/subscriptions', {
        body: { customerId, priceId },
        idempotencyKey: idemKey(),
      }),
      'create subscription',
      201,
    )
    const subscriptionId = String(field(sub, 'id'))
    add({
      kind: 'subscription',
      resources: ['/v1/subscriptions'],
      id: subscriptionId,
      readPath: `/v1/subscriptions/${subscriptionId}`,
    })
    const invoices = must(
      await a.request('GET', `/v1/invoices?subscriptionId=${subscriptionId}`),
      'list invoices',
      200,
    )
    const invoiceId = (invoices.body as { items?: { id?: string }[] } | undefined)?.items?.[0]?.id
    if (!invoiceId) throw new Error('the subscription issued no invoice')
    add({
      kind: 'invoice',
      resources: ['/v1/invoices'],
      id: invoiceId,
      readPath: `/v1/invoices/${invoiceId}`,
    })
  },
  // Last: its rule fires only on its own amount, so the seeders above never meet it.
  async cases(a, marker, add) {
    const rs = must(
      await a.request('POST', '/v1/monitoring/rule-sets', {
        body: {
          note: marker,
          rules: [
            { id: 'atk_case', when: 'txn.amount == 4242', outcome: 'review', score: 1, reason: marker },
          ],
        },
      }),
      'create case rule set',
      201,
    )
    const version = String(field(rs, 'version'))
    must(
      await a.request('POST', `/v1/monitoring/rule-sets/${version}/activate`, { body: {} }),
      'activate',
      200,
    )
    must(
      await a.request('POST', '/v1/monitoring/evaluate', {
        body: {
          id: `atk_${marker.slice(-10)}`,
          amount: '4242',
          currency: 'USD',
          kind: 'transfer',
          src: 'atk_src',
          dst: 'atk_dst',
          // A first decision on a cold engine can outlast the default 50 ms budget on a loaded
          // machine; a degraded decision skips rules, and then no alert (and no case) would follow.
          budgetMs: 10_000,
        },
      }),
      'evaluate',
      200,
    )
    // The alert reaches cases through the outbox, the bus and the consumer: wait for its case.
    let caseId: string | undefined
    for (let i = 0; i < 300 && !caseId; i++) {
      const q = await a.request('GET', '/v1/cases')
      const first = (q.body as { cases?: { caseId?: string }[] } | undefined)?.cases?.[0]
      caseId = first?.caseId
      if (!caseId) await new Promise((r) => setTimeout(r, 100))
    }
    if (!caseId) throw new Error('no case opened within 30 s (are the workers running?)')
    must(await a.request('POST', `/v1/cases/${caseId}/comments`, { body: { text: marker } }), 'comment', 201)
    add({ kind: 'case', resources: ['/v1/cases'], id: caseId, readPath: `/v1/cases/${caseId}` })
  },
  // Last: A's own search finds A's parties (named after the marker) once the indexer has consumed
  // their events, so B's searches below are probes against data that is really indexed. It waits for
  // every one of them — the search is a snapshot read, and a party indexed only between the two
  // snapshots (seen in CI under load) would look like B's doing.
  async search(a, marker, add) {
    const listed = must(await a.request('GET', '/v1/parties?limit=100'), 'list parties', 200)
    const named = ((listed.body as { items?: { id: string; names?: { value?: string }[] }[] }).items ?? [])
      .filter((p) => p.names?.some((n) => n.value?.includes(marker)))
      .map((p) => p.id)
    if (named.length === 0) throw new Error('no party named after the marker to search for')
    const path = `/v1/search?q=${encodeURIComponent(`Atk ${marker}`)}&type=party`
    let hits: string[] = []
    for (let i = 0; i < 300 && !named.every((id) => hits.includes(id)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100))
      const res = await a.request('GET', path)
      hits = ((res.body as { hits?: { id?: string }[] } | undefined)?.hits ?? []).map((h) => String(h.id))
    }
    if (!named.every((id) => hits.includes(id)))
      throw new Error('the parties were not searchable within 30 s (is the search indexer running?)')
    add({ kind: 'search hit', resources: ['/v1/search'], id: named[0]!, readPath: path })
  },
}

/** Query strings B sends to search-like routes: A's marker (in A's names and metadata) and A's ids. */
/** Routes whose body carries A's idempotency keys (each item its own), not A's ids. */
const KEY_PROBES: ReadonlySet<string> = new Set(['POST /v1/payments/commands'])

const QUERY_PROBES: Readonly<Record<string, (seed: TenantSeed) => string[]>> = {
  'GET /v1/search': (seed) => [
    `q=${encodeURIComponent(seed.marker)}`,
    `q=${encodeURIComponent(`Atk ${seed.marker}`)}`,
    ...seed.objects.map((o) => `q=${encodeURIComponent(o.id)}`),
  ],
}

/** Makes one object of each kind in tenant A, through the API only. */
export async function seedTenant(a: HttpClient, opts: SeedOptions = {}): Promise<TenantSeed> {
  const marker = `atkmark${randomBytes(8).toString('hex')}`
  const objects: SeededObject[] = []
  const failures: string[] = []
  for (const [name, seed] of Object.entries(SEEDERS)) {
    try {
      await seed(a, marker, (o) => objects.push(o), opts)
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`)
    }
  }
  return { objects, marker, failures }
}

/** What A sees of its objects; compared before and after B's attempts. */
/**
 * Fields the target's own schedules change with no request from anyone (the bank poll worker syncs a
 * linked item on its interval): left out of snapshots, so only a change B could have made shows.
 */
const CHANGED_BY_SCHEDULES = new Set(['lastSyncedAt'])

export async function snapshot(a: HttpClient, seed: TenantSeed): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const o of seed.objects) {
    if (!o.readPath) continue
    const res = await a.request('GET', o.readPath)
    const body = JSON.stringify(res.body, (k, v: unknown) => (CHANGED_BY_SCHEDULES.has(k) ? undefined : v))
    out.set(`${o.kind} ${o.id}`, `${res.status} ${body}`)
  }
  return out
}

export type Outcome = 'refused' | 'not reached' | 'no A data' | 'LEAK' | 'ORACLE' | 'ERROR'

export interface Probe {
  readonly op: Operation
  readonly line: string
  readonly outcome: Outcome
  /** The path named one of A's objects of the kind the route serves (not a guess from another kind). */
  readonly matched: boolean
}

/** Bodies that point at A's objects from inside the request (a B transfer out of A's accounts). */
function bodyFor(op: Operation, seed: TenantSeed): unknown {
  if (op.method === 'GET' || op.method === 'HEAD') return undefined
  const of = (kind: string) => seed.objects.filter((o) => o.kind === kind).map((o) => o.id)
  const [acc1, acc2] = of('account')
  const [txn] = of('transaction')
  const key = `${op.method} ${op.path}`
  if (key === 'POST /v1/transactions' && acc1 && acc2)
    return { legs: [{ source: acc1, destination: acc2, amount: '1', currency: 'USD' }] }
  if (key === 'POST /v1/transactions/bulk' && txn)
    return {
      items: [
        { op: 'post', transactionId: txn },
        { op: 'void', transactionId: txn },
      ],
    }
  // Money sent to A's counterparty from B: the party must not be found (404), nor its screening state leak.
  const [party] = of('party')
  if (key === 'POST /v1/payouts' && party) return { amount: '1', currency: 'USD', partyId: party }
  if (key === 'PATCH /v1/parties/{id}') return { names: [{ value: 'Stolen Name' }] }
  if (key === 'PATCH /v1/payments/{id}') return { metadata: { stolen: 'yes' } }
  if (key === 'PATCH /v1/accounts/{id}') return { metadata: { stolen: 'yes' } }
  if (key.endsWith('/capture') || key.endsWith('/refunds')) return { amount: '1' }
  // Valid as far as the body goes, so the charge is looked up (and must not be found) in B's tenant.
  if (key === 'POST /v1/stray-charges/{id}/resolve') return { reversal: 'canceled', note: 'attack' }
  if (key === 'POST /v1/analytics/queries/{name}') return FRAUD_QUERY_PROBE
  if (KEY_PROBES.has(key))
    return { items: [{ idempotencyKey: commandKeyOf(seed.marker), ...commandRequestOf(seed.marker) }] }
  return op.hasBody ? sampleBody(op.bodySchema) : undefined
}

/** `matched`: the path names one of A's objects of the kind the route serves (not a fallback guess). */
function classify(
  res: Exchange,
  op: Operation,
  seed: TenantSeed,
  pathHasAId: boolean,
  matched: boolean,
): Outcome {
  const text = JSON.stringify(res.body)
  if (text.includes(seed.marker)) return 'LEAK'
  // A search answer that names one of A's objects (ids are never echoed back from the query).
  if (QUERY_PROBES[`${op.method} ${op.path}`] && seed.objects.some((o) => text.includes(`"${o.id}"`)))
    return 'LEAK'
  // A's key sent by B: A's command named back (a duplicate of it) leaks it; a conflict with it tells
  // B that A used the key.
  if (KEY_PROBES.has(`${op.method} ${op.path}`)) {
    if (seed.objects.some((o) => text.includes(`"${o.id}"`))) return 'LEAK'
    if (text.includes('IDEMPOTENCY_CONFLICT')) return 'ORACLE'
  }
  if (res.status === 404 || res.status === 403) return 'refused'
  if (res.status === 400 || res.status === 415) return 'not reached'
  if (res.status === 409 || res.status === 422) return pathHasAId ? 'ORACLE' : 'not reached'
  if (res.status >= 200 && res.status < 300) {
    // A GET naming A's object must not find it; a write may only have touched B's own data.
    if (matched && op.method === 'GET') return 'LEAK'
    return 'no A data'
  }
  return 'ERROR'
}

/**
 * Calls every non-public operation with B's key: with A's ids in each path parameter (the id whose
 * resource matches, else each of A's ids), and list/create operations with bodies naming A's objects.
 */
export async function sweep(b: HttpClient, ops: readonly Operation[], seed: TenantSeed): Promise<Probe[]> {
  const probes: Probe[] = []
  for (const op of ops) {
    if (op.public || op.path.endsWith('/stream')) continue
    const matching = (collection: string): string[] =>
      seed.objects.filter((o) => o.resources.some((r) => collection.endsWith(r))).map((o) => o.id)
    const candidates = (resource: string): string[] => {
      const m = matching(resource)
      return m.length > 0 ? m : seed.objects.map((o) => o.id)
    }
    const paths = new Map<string, boolean>()
    // Search routes: each of A's ids and A's marker as the query; a hit naming any is a leak.
    for (const q of QUERY_PROBES[`${op.method} ${op.path}`]?.(seed) ?? []) paths.set(`${op.path}?${q}`, false)
    if (op.params.length === 0) paths.set(op.path, false)
    else {
      // One call per candidate of the first parameter; the others take their best match.
      const firstParam = op.params[0] ?? ''
      let firstResource = ''
      fillPath(op, (p, collection) => (p === firstParam ? (firstResource = collection) : ''))
      for (const id of candidates(firstResource)) {
        paths.set(
          fillPath(op, (p, r) => (p === firstParam ? id : (candidates(r)[0] ?? 'x'))),
          matching(firstResource).length > 0,
        )
      }
    }
    for (const [path, matched] of paths) {
      const body = bodyFor(op, seed)
      const res = await b.request(op.method, path, {
        ...(body !== undefined ? { body } : {}),
        idempotencyKey: idemKey(),
      })
      const outcome = classify(res, op, seed, op.params.length > 0, matched)
      probes.push({ op, outcome, matched, line: `${describe(res)} [${outcome}]` })
    }
  }
  return probes
}

export const badOutcome = (o: Outcome): boolean => o === 'LEAK' || o === 'ORACLE' || o === 'ERROR'
