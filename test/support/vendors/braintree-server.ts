/**
 * A local server that speaks Braintree's gateway API as the official `braintree` SDK uses it: JSON
 * request bodies with underscored keys under /merchants/:id/…, XML responses (typed nodes: integer,
 * boolean, array, collection, nil), 422 <api-error-response> for validation errors and processor
 * declines, bare HTTP statuses (401, 404, 5xx) for the rest. Stateful enough for the gateway
 * contract: sales (authorize / submit for settlement), partial settlement, void, refunds (credit
 * transactions), settling (the sandbox's testing.settle), search by order id / settled date,
 * client tokens, customers and vaulted payment methods, settlement batch summaries.
 *
 * Test nonces follow Braintree's sandbox: fake-valid-*-nonce, fake-processor-declined-visa-nonce
 * (2000 Do Not Honor), fake-gateway-rejected-fraud-nonce, and amounts 2000.00–2999.99 decline with
 * that processor code (2001 Insufficient Funds). Local only: fake-timeout-nonce (processed, answer
 * held back) and fake-unavailable-nonce (503).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'

type Json = Record<string, unknown>

interface Transaction {
  id: string
  type: 'sale' | 'credit'
  status: string
  amount: string
  currency_iso_code: string
  order_id: string | null
  customer_id: string | null
  merchant_account_id: string
  processor_response_code: string
  processor_response_text: string
  gateway_rejection_reason: string | null
  refunded_transaction_id: string | null
  refund_ids: string[]
  created_at: Date
  updated_at: Date
  settled_at: Date | null
  credit_card: {
    bin: string
    last_4: string
    card_type: string
    country_of_issuance: string
    token: string | null
  }
  status_history: { timestamp: Date; status: string; amount: string }[]
  disputes: Json[]
}

export interface BraintreeServerOptions {
  merchantId?: string
  publicKey?: string
  privateKey?: string
  currency?: string
  slowResponseMs?: number
  now?: () => Date
}

export interface BraintreeFault {
  match: (method: string, path: string) => boolean
  status: number
  times?: number
}

export interface BraintreeServer {
  readonly url: string
  readonly port: number
  readonly merchantId: string
  readonly publicKey: string
  readonly privateKey: string
  transaction(id: string): Transaction | undefined
  /**
   * The issuer renewed or replaced a vaulted card: the vault entry changes and the server returns the
   * signed `payment_method_customer_data_updated` notification Braintree would POST (bt_signature /
   * bt_payload, as the SDK's webhookNotification.parse reads them).
   */
  updateCard(
    token: string,
    change: { expMonth?: number; expYear?: number; last4?: string },
  ): { bt_signature: string; bt_payload: string }
  /**
   * Settles a sale submitted for settlement (as the day's batch does) and returns the signed
   * `transaction_settled` notification Braintree then POSTs: the whole transaction, order id
   * included (the SDK's `webhookTesting.sampleNotification` carries no order id).
   */
  settle(id: string): { bt_signature: string; bt_payload: string }
  fault(f: BraintreeFault): void
  clearFaults(): void
  readonly requests: number
  close(): Promise<void>
}

const CARDS: Record<string, { bin: string; last4: string; type: string }> = {
  'fake-valid-nonce': { bin: '411111', last4: '1111', type: 'Visa' },
  'fake-valid-visa-nonce': { bin: '411111', last4: '1111', type: 'Visa' },
  'fake-valid-mastercard-nonce': { bin: '555555', last4: '4444', type: 'MasterCard' },
  'fake-processor-declined-visa-nonce': { bin: '400011', last4: '0002', type: 'Visa' },
  'fake-gateway-rejected-fraud-nonce': { bin: '400011', last4: '0011', type: 'Visa' },
  'fake-timeout-nonce': { bin: '411111', last4: '1111', type: 'Visa' },
  'fake-unavailable-nonce': { bin: '411111', last4: '1111', type: 'Visa' },
}

const PROCESSOR_TEXT: Record<string, string> = {
  '2000': 'Do Not Honor',
  '2001': 'Insufficient Funds',
  '2004': 'Expired Card',
  '2046': 'Declined',
}

const dasherize = (key: string): string => key.replace(/_/g, '-')
const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** Braintree's XML: typed nodes the SDK's parser turns back into numbers, booleans, arrays and nulls. */
export function toXml(name: string, value: unknown): string {
  const tag = dasherize(name)
  if (value === null || value === undefined) return `<${tag} nil="true"/>`
  if (value instanceof Date)
    return `<${tag} type="datetime">${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</${tag}>`
  if (typeof value === 'number') return `<${tag} type="integer">${value}</${tag}>`
  if (typeof value === 'boolean') return `<${tag} type="boolean">${value}</${tag}>`
  if (Array.isArray(value)) {
    const items = value.map((v) =>
      typeof v === 'object' && v !== null && 'xmlName' in v
        ? toXml(String((v as { xmlName: string }).xmlName), (v as { value: unknown }).value)
        : toXml('item', v),
    )
    return `<${tag} type="array">${items.join('')}</${tag}>`
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Json)
      .map(([k, v]) => toXml(k, v))
      .join('')
    return `<${tag}>${inner}</${tag}>`
  }
  return `<${tag}>${escapeXml(typeof value === 'string' ? value : JSON.stringify(value))}</${tag}>`
}

class BraintreeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly xml = '',
  ) {
    super(`HTTP ${status}`)
  }
}

const money = (minorish: number): string => (minorish / 100).toFixed(2)
const cents = (decimal: string): number => Math.round(Number(decimal) * 100)

export async function startBraintreeServer(opts: BraintreeServerOptions = {}): Promise<BraintreeServer> {
  const merchantId = opts.merchantId ?? 'local_merchant'
  const publicKey = opts.publicKey ?? 'local_public_' + randomBytes(4).toString('hex')
  const privateKey = opts.privateKey ?? 'local_private_' + randomBytes(8).toString('hex')
  const currency = opts.currency ?? 'USD'
  const slowMs = opts.slowResponseMs ?? 1500
  const now = opts.now ?? (() => new Date())
  const transactions = new Map<string, Transaction>()
  const customers = new Map<string, { id: string; tokens: string[] }>()
  const vault = new Map<
    string,
    {
      token: string
      customerId: string
      card: (typeof CARDS)[string]
      expiry?: { month: string; year: string }
    }
  >()
  let faults: BraintreeFault[] = []
  let requestCount = 0
  const shortId = (): string => randomBytes(4).toString('hex')

  const txXml = (t: Transaction): string =>
    toXml('transaction', {
      ...t,
      status_history: t.status_history.map((h) => ({ xmlName: 'status-event', value: h })),
      disputes: t.disputes.map((d) => ({ xmlName: 'dispute', value: d })),
    })

  const validation = (
    code: string,
    attribute: string,
    message: string,
    on = 'transaction',
  ): BraintreeHttpError =>
    new BraintreeHttpError(
      422,
      `<api-error-response><errors><errors type="array"/><${on}><errors type="array"><error><code>${code}</code><attribute type="symbol">${attribute}</attribute><message>${escapeXml(message)}</message></error></errors></${on}></errors><message>${escapeXml(message)}</message></api-error-response>`,
    )

  const declined = (t: Transaction): BraintreeHttpError =>
    new BraintreeHttpError(
      422,
      `<api-error-response><errors><errors type="array"/></errors><message>${escapeXml(
        t.status === 'gateway_rejected'
          ? `Gateway Rejected: ${t.gateway_rejection_reason}`
          : t.processor_response_text,
      )}</message>${txXml(t)}</api-error-response>`,
    )

  const transition = (t: Transaction, status: string): void => {
    t.status = status
    t.updated_at = now()
    t.status_history.push({ timestamp: now(), status, amount: t.amount })
  }

  /** A signed webhook notification: public key | hex HMAC-SHA1 of the payload under SHA-1(private key). */
  const notification = (kind: string, subject: string): { bt_signature: string; bt_payload: string } => {
    const at = now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
    const xml = `<notification><timestamp type="datetime">${at}</timestamp><kind>${kind}</kind><subject>${subject}</subject></notification>`
    const payload = Buffer.from(xml).toString('base64') + '\n'
    const key = createHash('sha1').update(privateKey).digest()
    const signature = createHmac('sha1', key).update(payload).digest('hex')
    return { bt_signature: `${publicKey}|${signature}`, bt_payload: payload }
  }

  const requireTx = (id: string): Transaction => {
    const t = transactions.get(id)
    if (!t) throw new BraintreeHttpError(404)
    return t
  }

  const newTx = (
    type: 'sale' | 'credit',
    amount: string,
    card: (typeof CARDS)[string],
    extra: Partial<Transaction>,
  ): Transaction => {
    const t: Transaction = {
      id: shortId(),
      type,
      status: 'authorizing',
      amount,
      currency_iso_code: currency,
      order_id: null,
      customer_id: null,
      merchant_account_id: `${merchantId}_${currency.toLowerCase()}`,
      processor_response_code: '1000',
      processor_response_text: 'Approved',
      gateway_rejection_reason: null,
      refunded_transaction_id: null,
      refund_ids: [],
      created_at: now(),
      updated_at: now(),
      settled_at: null,
      credit_card: {
        bin: card.bin,
        last_4: card.last4,
        card_type: card.type,
        country_of_issuance: 'USA',
        token: null,
      },
      status_history: [],
      disputes: [],
      ...extra,
    }
    transactions.set(t.id, t)
    return t
  }

  const sale = (body: Json): { xml: string; slow: boolean } => {
    const input = (body.transaction ?? {}) as Json
    const amount = typeof input.amount === 'string' ? input.amount : ''
    if (!/^\d+(\.\d{1,2})?$/.test(amount) || Number(amount) <= 0)
      throw validation('81503', 'amount', 'Amount is an invalid format.')
    const nonce = input.payment_method_nonce as string | undefined
    const token = input.payment_method_token as string | undefined
    const vaulted = token ? vault.get(token) : undefined
    if (token && !vaulted)
      throw validation('91518', 'payment_method_token', 'Payment method token is invalid.')
    const card = vaulted?.card ?? CARDS[nonce ?? '']
    if (!card) throw validation('91565', 'payment_method_nonce', 'Unknown payment_method_nonce.')
    if (nonce === 'fake-unavailable-nonce') throw new BraintreeHttpError(503)
    const t = newTx('sale', Number(amount).toFixed(2), card, {
      order_id: (input.order_id as string | undefined) ?? null,
      customer_id: (input.customer_id as string | undefined) ?? vaulted?.customerId ?? null,
    })
    if (vaulted) t.credit_card.token = vaulted.token
    const whole = Math.floor(Number(amount))
    if (nonce === 'fake-processor-declined-visa-nonce' || (whole >= 2000 && whole < 3000)) {
      const code = nonce === 'fake-processor-declined-visa-nonce' ? '2000' : String(whole)
      t.processor_response_code = code
      t.processor_response_text = PROCESSOR_TEXT[code] ?? 'Declined'
      transition(t, 'processor_declined')
      throw declined(t)
    }
    if (nonce === 'fake-gateway-rejected-fraud-nonce') {
      t.gateway_rejection_reason = 'fraud'
      transition(t, 'gateway_rejected')
      throw declined(t)
    }
    transition(t, 'authorized')
    const options = (input.options ?? {}) as Json
    if (options.submit_for_settlement === true || options.submit_for_settlement === 'true')
      transition(t, 'submitted_for_settlement')
    return { xml: txXml(t), slow: nonce === 'fake-timeout-nonce' }
  }

  const routes: {
    method: string
    pattern: RegExp
    handle: (m: RegExpMatchArray, body: Json) => { status?: number; xml: string; slow?: boolean }
  }[] = [
    { method: 'POST', pattern: /^\/transactions$/, handle: (_m, body) => ({ status: 201, ...sale(body) }) },
    { method: 'GET', pattern: /^\/transactions\/(\w+)$/, handle: (m) => ({ xml: txXml(requireTx(m[1]!)) }) },
    {
      method: 'PUT',
      pattern: /^\/transactions\/(\w+)\/submit_for_settlement$/,
      handle: (m, body) => {
        const t = requireTx(m[1]!)
        if (t.status !== 'authorized')
          throw validation('91507', 'base', 'Cannot submit for settlement unless status is authorized.')
        const amount = ((body.transaction ?? {}) as Json).amount as string | undefined
        if (amount !== undefined) {
          if (cents(amount) > cents(t.amount))
            throw validation('91522', 'amount', 'Settlement amount is too large.')
          t.amount = Number(amount).toFixed(2)
        }
        transition(t, 'submitted_for_settlement')
        return { xml: txXml(t) }
      },
    },
    {
      method: 'PUT',
      pattern: /^\/transactions\/(\w+)\/void$/,
      handle: (m) => {
        const t = requireTx(m[1]!)
        if (!['authorized', 'submitted_for_settlement', 'settlement_pending'].includes(t.status))
          throw validation(
            '91504',
            'base',
            'Transaction can only be voided if status is authorized, submitted_for_settlement, or settlement_pending.',
          )
        transition(t, 'voided')
        return { xml: txXml(t) }
      },
    },
    {
      // The sandbox's testing gateway (gateway.testing.settle): settles at once instead of at the batch.
      method: 'PUT',
      pattern: /^\/transactions\/(\w+)\/settle$/,
      handle: (m) => {
        const t = requireTx(m[1]!)
        if (t.status !== 'submitted_for_settlement')
          throw validation(
            '91519',
            'base',
            'Cannot settle a transaction that is not submitted for settlement.',
          )
        transition(t, 'settled')
        t.settled_at = now()
        return { xml: txXml(t) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/transactions\/(\w+)\/refund$/,
      handle: (m, body) => {
        const t = requireTx(m[1]!)
        if (t.type !== 'sale' || !['settled', 'settling'].includes(t.status))
          throw validation('91506', 'base', 'Cannot refund transaction unless it is settled.')
        const refunded = t.refund_ids.reduce((sum, id) => sum + cents(transactions.get(id)!.amount), 0)
        const remaining = cents(t.amount) - refunded
        if (remaining <= 0) throw validation('91512', 'base', 'Transaction has already been fully refunded.')
        const requested = ((body.transaction ?? {}) as Json).amount as string | undefined
        const amount = requested === undefined ? remaining : cents(requested)
        if (amount > remaining) throw validation('91521', 'amount', 'Refund amount is too large.')
        const card = { bin: t.credit_card.bin, last4: t.credit_card.last_4, type: t.credit_card.card_type }
        // A refund takes the order id it is given, else the sale's (as Braintree does).
        const orderId = ((body.transaction ?? {}) as Json).order_id as string | undefined
        const credit = newTx('credit', money(amount), card, {
          order_id: orderId ?? t.order_id,
          refunded_transaction_id: t.id,
        })
        transition(credit, 'submitted_for_settlement')
        t.refund_ids.push(credit.id)
        return { status: 201, xml: txXml(credit) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/transactions\/advanced_search_ids$/,
      handle: (_m, body) => {
        const ids = search((body.search ?? {}) as Json).map((t) => t.id)
        return { xml: toXml('search_results', { page_size: 50, ids }) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/transactions\/advanced_search$/,
      handle: (_m, body) => {
        const found = search((body.search ?? {}) as Json)
        return {
          xml: `<credit-card-transactions type="collection"><current-page-number type="integer">1</current-page-number><page-size type="integer">50</page-size><total-items type="integer">${found.length}</total-items>${found.map(txXml).join('')}</credit-card-transactions>`,
        }
      },
    },
    {
      method: 'POST',
      pattern: /^\/client_token$/,
      handle: (_m, body) => {
        const customerId = ((body.client_token ?? {}) as Json).customer_id as string | undefined
        if (customerId && !customers.has(customerId))
          throw validation(
            '92804',
            'customer_id',
            'Customer specified by customer_id does not exist',
            'client-token',
          )
        const value = Buffer.from(
          JSON.stringify({ version: 2, authorizationFingerprint: randomUUID(), merchantId, customerId }),
        ).toString('base64')
        return { status: 201, xml: toXml('client_token', { value }) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/customers$/,
      handle: (_m, body) => {
        const input = (body.customer ?? {}) as Json
        const id = (input.id as string | undefined) ?? shortId()
        if (customers.has(id))
          throw validation('91609', 'id', 'Customer ID has already been taken.', 'customer')
        customers.set(id, { id, tokens: [] })
        return { status: 201, xml: toXml('customer', { id, credit_cards: [], created_at: now() }) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/payment_methods$/,
      handle: (_m, body) => {
        const input = (body.payment_method ?? {}) as Json
        const customer = customers.get(String(input.customer_id))
        if (!customer)
          throw validation(
            '93105',
            'customer_id',
            'Customer ID is invalid.',
            'api-error-response-payment-method',
          )
        const nonce = String(input.payment_method_nonce)
        // Drop-in's PayPal vault flow: the nonce stands for a billing agreement the payer approved.
        if (nonce === 'fake-paypal-billing-agreement-nonce') {
          const token = shortId()
          vault.set(token, { token, customerId: customer.id, card: { bin: '', last4: '', type: 'PayPal' } })
          customer.tokens.push(token)
          return {
            status: 201,
            xml: toXml('paypal_account', {
              token,
              customer_id: customer.id,
              email: 'payer@example.com',
              billing_agreement_id: `B-${shortId().toUpperCase()}`,
              default: customer.tokens.length === 1,
            }),
          }
        }
        const card = CARDS[nonce]
        if (!card)
          throw validation('91565', 'payment_method_nonce', 'Unknown payment_method_nonce.', 'payment-method')
        // options.verify_card: a zero-amount authorisation; the declining test nonce fails it.
        const verify = ((input.options ?? {}) as Json).verify_card
        if ((verify === true || verify === 'true') && nonce === 'fake-processor-declined-visa-nonce')
          throw new BraintreeHttpError(
            422,
            `<api-error-response><errors><errors type="array"/></errors><message>Do Not Honor</message>${toXml(
              'verification',
              {
                status: 'processor_declined',
                processor_response_code: '2000',
                processor_response_text: 'Do Not Honor',
              },
            )}</api-error-response>`,
          )
        const token = shortId()
        vault.set(token, { token, customerId: customer.id, card })
        customer.tokens.push(token)
        return {
          status: 201,
          xml: toXml('credit_card', {
            token,
            customer_id: customer.id,
            bin: card.bin,
            last_4: card.last4,
            card_type: card.type,
            expiration_month: '12',
            expiration_year: String(new Date().getUTCFullYear() + 3),
            default: customer.tokens.length === 1,
          }),
        }
      },
    },
    {
      method: 'POST',
      pattern: /^\/settlement_batch_summary$/,
      handle: (_m, body) => {
        const date =
          (((body.settlement_batch_summary ?? {}) as Json).settlement_date as string | undefined) ?? ''
        const groups = new Map<string, { kind: string; card: string; count: number; total: number }>()
        for (const t of transactions.values()) {
          if (!t.settled_at || t.settled_at.toISOString().slice(0, 10) !== date) continue
          const key = `${t.type}/${t.credit_card.card_type}`
          const g = groups.get(key) ?? { kind: t.type, card: t.credit_card.card_type, count: 0, total: 0 }
          g.count++
          g.total += cents(t.amount)
          groups.set(key, g)
        }
        const records = [...groups.values()].map((g) => ({
          xmlName: 'record',
          value: {
            card_type: g.card,
            count: String(g.count),
            merchant_account_id: `${merchantId}_${currency.toLowerCase()}`,
            kind: g.kind,
            amount_settled: money(g.total),
          },
        }))
        return { xml: toXml('settlement_batch_summary', { records }) }
      },
    },
  ]

  function search(criteria: Json): Transaction[] {
    const text = (field: string): string | undefined =>
      ((criteria[field] ?? {}) as Json).is as string | undefined
    const range = (field: string): { min?: string; max?: string } => criteria[field] ?? {}
    const within = (d: Date | null, r: { min?: string; max?: string }): boolean =>
      (r.min === undefined && r.max === undefined) ||
      (d !== null &&
        (r.min === undefined || d >= new Date(r.min)) &&
        (r.max === undefined || d <= new Date(r.max)))
    const multi = (field: string): string[] | undefined => criteria[field] as string[] | undefined
    return [...transactions.values()].filter(
      (t) =>
        (text('order_id') === undefined || t.order_id === text('order_id')) &&
        (text('id') === undefined || t.id === text('id')) &&
        (multi('ids') === undefined || multi('ids')!.includes(t.id)) &&
        (multi('status') === undefined || multi('status')!.includes(t.status)) &&
        (multi('type') === undefined || multi('type')!.includes(t.type)) &&
        within(t.settled_at, range('settled_at')) &&
        within(t.created_at, range('created_at')),
    )
  }

  const basic = 'Basic ' + Buffer.from(`${publicKey}:${privateKey}`).toString('base64')

  const dispatch = async (req: IncomingMessage): Promise<{ status: number; xml: string; slow: boolean }> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    if (req.headers.authorization !== basic) return { status: 401, xml: '', slow: false }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const prefix = `/merchants/${merchantId}`
    if (!url.pathname.startsWith(prefix + '/')) return { status: 404, xml: '', slow: false }
    const path = url.pathname.slice(prefix.length)
    const fault = faults.find((f) => f.match(method, path))
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0) faults = faults.filter((f) => f !== fault)
      return { status: fault.status, xml: '', slow: false }
    }
    const route = routes.find((r) => r.method === method && r.pattern.test(path))
    if (!route) return { status: 404, xml: '', slow: false }
    try {
      const body = raw ? (JSON.parse(raw) as Json) : {}
      const out = route.handle(path.match(route.pattern)!, body)
      return { status: out.status ?? 200, xml: out.xml, slow: out.slow ?? false }
    } catch (e) {
      if (!(e instanceof BraintreeHttpError)) throw e
      return { status: e.status, xml: e.xml, slow: false }
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requestCount++
    dispatch(req).then(
      ({ status, xml, slow }) => {
        const send = (): void => {
          if (res.destroyed) return
          res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8' })
          res.end(xml ? `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` : '')
        }
        if (slow) setTimeout(send, slowMs).unref()
        else send()
      },
      () => {
        res.writeHead(500)
        res.end()
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    merchantId,
    publicKey,
    privateKey,
    transaction: (id) => transactions.get(id),
    updateCard(token, change) {
      const entry = vault.get(token)
      if (!entry) throw new Error(`no vaulted payment method ${token}`)
      const expiry = (entry.expiry ??= { month: '12', year: String(new Date().getUTCFullYear() + 3) })
      if (change.expMonth !== undefined) expiry.month = String(change.expMonth).padStart(2, '0')
      if (change.expYear !== undefined) expiry.year = String(change.expYear)
      if (change.last4 !== undefined) entry.card = { ...entry.card, last4: change.last4 }
      const subject = toXml('payment_method_customer_data_updated_metadata', {
        token,
        payment_method: {
          credit_card: {
            token,
            customer_id: entry.customerId,
            bin: entry.card.bin,
            last_4: entry.card.last4,
            card_type: entry.card.type,
            expiration_month: expiry.month,
            expiration_year: expiry.year,
          },
        },
        datetime_updated: now(),
      })
      return notification('payment_method_customer_data_updated', subject)
    },
    settle(id) {
      const t = requireTx(id)
      if (t.status !== 'submitted_for_settlement') throw new Error(`sale ${id} is ${t.status}`)
      transition(t, 'settled')
      t.settled_at = now()
      return notification('transaction_settled', txXml(t))
    },
    fault: (f) => faults.push(f),
    clearFaults: () => {
      faults = []
    },
    get requests() {
      return requestCount
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
