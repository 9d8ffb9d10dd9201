/**
 * A local server that speaks Stripe's /v1 API (form-encoded requests, JSON responses, Stripe's error
 * bodies) well enough for the gateway contract: PaymentIntents with statuses, captures (partial),
 * cancels, refunds, disputes, payouts, balance transactions and search by metadata. The official
 * `stripe` SDK is pointed at it (host/port/protocol), so the adapter is tested through the SDK's own
 * request encoding, error classes and pagination. Faults (5xx, 401, card errors, slow responses) and
 * reconciliation mismatches are planted through helpers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { list, obj, parseForm, str, type FormObject } from './form.js'

type Json = Record<string, unknown>

export interface StripeBalanceTransaction {
  id: string
  object: 'balance_transaction'
  amount: number
  currency: string
  fee: number
  net: number
  type: string
  reporting_category: string
  source: string | null
  created: number
  available_on: number
  status: 'available' | 'pending'
}

interface PaymentIntent {
  id: string
  object: 'payment_intent'
  amount: number
  amount_capturable: number
  amount_received: number
  currency: string
  status: string
  capture_method: 'automatic' | 'manual'
  customer: string | null
  description: string | null
  metadata: Record<string, string>
  payment_method: string | null
  latest_charge: string | null
  last_payment_error: Json | null
  next_action: Json | null
  canceled_at: number | null
  created: number
  livemode: false
}

export interface StripeFault {
  /** Which requests it hits, e.g. (m, p) => p.startsWith('/v1/balance_transactions'). */
  match: (method: string, path: string) => boolean
  status: number
  error?: Json
  /** How many requests it hits; unlimited when absent. */
  times?: number
}

export interface StripeServerOptions {
  secretKey?: string
  /** The server's "now" (seconds precision on objects). */
  now?: () => Date
  /** How long a response for pm_card_timeout is held back (the request is still processed). */
  slowResponseMs?: number
}

export interface StripeServer {
  readonly host: string
  readonly port: number
  readonly secretKey: string
  /** Every event the server produced, oldest first, as Stripe would deliver them to a webhook endpoint. */
  readonly events: Json[]
  readonly balanceTransactions: StripeBalanceTransaction[]
  fault(f: StripeFault): void
  clearFaults(): void
  paymentIntent(id: string): Json | undefined
  /** Closes a dispute as won or lost (a dispute reversal is booked when won). */
  closeDispute(id: string, outcome: 'won' | 'lost'): Json
  /** Stripe's card updater: the issuer replaced or renewed a saved card (`payment_method.automatically_updated`). */
  updateCard(paymentMethodId: string, change: { expMonth?: number; expYear?: number; last4?: string }): Json
  /** Marks a payout paid or failed. */
  settlePayout(id: string, outcome: 'paid' | 'failed'): Json
  /** Adds a balance transaction that no API call produced (reconciliation: missing in the ledger). */
  plantBalanceTransaction(bt: Partial<StripeBalanceTransaction> & { amount: number; type: string }): string
  /** Changes a balance transaction after the fact (reconciliation: amount / currency mismatch). */
  alterBalanceTransaction(id: string, change: { amount?: number; currency?: string }): void
  /** Removes a balance transaction (reconciliation: missing at the gateway). */
  dropBalanceTransaction(id: string): void
  requests: number
  close(): Promise<void>
}

class StripeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Json,
  ) {
    super(String(body.message))
  }
}

const cardError = (code: string, declineCode: string, message: string, pi?: Json): StripeHttpError =>
  new StripeHttpError(402, {
    type: 'card_error',
    code,
    decline_code: declineCode,
    message,
    ...(pi ? { payment_intent: pi } : {}),
  })
const invalidRequest = (message: string, code?: string, param?: string): StripeHttpError =>
  new StripeHttpError(400, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code } : {}),
    ...(param ? { param } : {}),
  })
const missing = (what: string, id: string): StripeHttpError =>
  new StripeHttpError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${what}: '${id}'`,
  })

type Behaviour =
  | 'ok'
  | 'generic_decline'
  | 'insufficient_funds'
  | '3ds'
  | 'auth_off_session'
  | 'dispute'
  | 'slow'
  | 'unavailable'
const METHODS: Record<string, { behaviour: Behaviour; brand: string; last4: string }> = {
  pm_card_visa: { behaviour: 'ok', brand: 'visa', last4: '4242' },
  tok_visa: { behaviour: 'ok', brand: 'visa', last4: '4242' },
  pm_card_mastercard: { behaviour: 'ok', brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclined: { behaviour: 'generic_decline', brand: 'visa', last4: '0002' },
  pm_card_declined: { behaviour: 'generic_decline', brand: 'visa', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { behaviour: 'insufficient_funds', brand: 'visa', last4: '9995' },
  pm_card_insufficient_funds: { behaviour: 'insufficient_funds', brand: 'visa', last4: '9995' },
  pm_card_threeDSecure2Required: { behaviour: '3ds', brand: 'visa', last4: '3220' },
  pm_card_3ds: { behaviour: '3ds', brand: 'visa', last4: '3220' },
  pm_card_createDispute: { behaviour: 'dispute', brand: 'visa', last4: '0259' },
  pm_card_dispute: { behaviour: 'dispute', brand: 'visa', last4: '0259' },
  pm_card_timeout: { behaviour: 'slow', brand: 'visa', last4: '4242' },
  pm_card_unavailable: { behaviour: 'unavailable', brand: 'visa', last4: '4242' },
  // Like 4000 0027 6000 3184 after a completed setup: every off-session charge needs the holder.
  pm_card_authenticationRequiredOffSession: { behaviour: 'auth_off_session', brand: 'visa', last4: '3184' },
}

const stripeFee = (amount: number): number => Math.round((amount * 29) / 1000) + 30
const DISPUTE_FEE = 1500

export async function startStripeServer(opts: StripeServerOptions = {}): Promise<StripeServer> {
  const secretKey = opts.secretKey ?? 'sk_test_local_' + randomUUID().replace(/-/g, '')
  const now = (): number => Math.floor((opts.now ?? (() => new Date()))().getTime() / 1000)
  const slowMs = opts.slowResponseMs ?? 1500
  const intents = new Map<string, PaymentIntent>()
  const charges = new Map<string, Json>()
  const refunds = new Map<string, Json>()
  const disputes = new Map<string, Json>()
  const payouts = new Map<string, Json>()
  const balanceTransactions: StripeBalanceTransaction[] = []
  const events: Json[] = []
  const idempotent = new Map<string, { fingerprint: string; status: number; body: Json }>()
  let faults: StripeFault[] = []
  /** Attached payment methods: new pm id → the test method it was made from, and its customer. */
  const attached = new Map<string, { base: string; customer: string }>()
  const customers = new Set<string>()
  /** Saved PaymentMethods (attached or set up), as GET /v1/payment_methods/:id answers them. */
  const paymentMethods = new Map<string, Json>()
  const setupIntents = new Map<string, Json>()
  const offSession = new Set<string>()
  const id = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 24)}`

  const emit = (type: string, object: Json): void => {
    events.push({
      id: id('evt'),
      object: 'event',
      api_version: '2026-10-28.endive',
      created: now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) },
    })
  }

  const book = (
    amount: number,
    currency: string,
    fee: number,
    type: string,
    category: string,
    source: string,
  ): string => {
    const t = now()
    const bt: StripeBalanceTransaction = {
      id: id('txn'),
      object: 'balance_transaction',
      amount,
      currency,
      fee,
      net: amount - fee,
      type,
      reporting_category: category,
      source,
      created: t,
      available_on: t + 2 * 86_400,
      status: 'available',
    }
    balanceTransactions.push(bt)
    return bt.id
  }

  const lookup = (ref: string): Json | undefined => {
    if (ref.startsWith('pi_')) return intents.get(ref) as unknown as Json | undefined
    if (ref.startsWith('ch_')) return charges.get(ref)
    if (ref.startsWith('re_')) return refunds.get(ref)
    if (ref.startsWith('dp_')) return disputes.get(ref)
    if (ref.startsWith('po_')) return payouts.get(ref)
    if (ref.startsWith('txn_'))
      return balanceTransactions.find((b) => b.id === ref) as unknown as Json | undefined
    return undefined
  }

  /** Applies `expand` paths like "latest_charge.balance_transaction" or "data.source" (lists). */
  const expand = (value: Json, paths: string[]): Json => {
    const out = structuredClone(value)
    for (const path of paths) {
      const parts = path.split('.')
      const walk = (node: Json, i: number): void => {
        const key = parts[i]!
        if (key === 'data' && Array.isArray(node.data)) {
          for (const item of node.data as Json[]) walk(item, i + 1)
          return
        }
        const ref = node[key]
        if (typeof ref === 'string') {
          const found = lookup(ref)
          if (found) node[key] = structuredClone(found)
        }
        const child = node[key]
        if (i + 1 < parts.length && child && typeof child === 'object') walk(child as Json, i + 1)
      }
      walk(out, 0)
    }
    return out
  }

  const requirePi = (piId: string): PaymentIntent => {
    const pi = intents.get(piId)
    if (!pi) throw missing('payment_intent', piId)
    return pi
  }

  const unexpectedState = (pi: PaymentIntent, action: string): StripeHttpError =>
    invalidRequest(
      `You cannot ${action} this PaymentIntent because it has a status of ${pi.status}.`,
      'payment_intent_unexpected_state',
    )

  const charge = (pi: PaymentIntent, card: { brand: string; last4: string }): Json => {
    const ch: Json = {
      id: id('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      currency: pi.currency,
      payment_intent: pi.id,
      balance_transaction: null,
      payment_method_details: { type: 'card', card: { brand: card.brand, country: 'US', last4: card.last4 } },
      refunded: false,
      disputed: false,
      status: 'succeeded',
      created: now(),
    }
    charges.set(ch.id as string, ch)
    pi.latest_charge = ch.id as string
    return ch
  }

  const settleCapture = (pi: PaymentIntent, amount: number): void => {
    const ch = charges.get(pi.latest_charge!)!
    ch.captured = true
    ch.amount_captured = amount
    ch.balance_transaction = book(amount, pi.currency, stripeFee(amount), 'charge', 'charge', ch.id as string)
    pi.amount_received = amount
    pi.amount_capturable = 0
    pi.status = 'succeeded'
    emit('payment_intent.succeeded', pi as unknown as Json)
    if (METHODS[pi.payment_method ?? '']?.behaviour === 'dispute') {
      const dp: Json = {
        id: id('dp'),
        object: 'dispute',
        amount,
        currency: pi.currency,
        charge: ch.id,
        payment_intent: pi.id,
        status: 'needs_response',
        reason: 'fraudulent',
        created: now(),
        balance_transactions: [] as string[],
      }
      disputes.set(dp.id as string, dp)
      ;(dp.balance_transactions as string[]).push(
        book(-amount, pi.currency, DISPUTE_FEE, 'adjustment', 'dispute', dp.id as string),
      )
      ch.disputed = true
      emit('charge.dispute.created', dp)
    }
  }

  const confirm = (pi: PaymentIntent, paymentMethod: string | undefined): { slow: boolean } => {
    if (paymentMethod) pi.payment_method = paymentMethod
    const vaulted = attached.get(pi.payment_method ?? '')
    if (vaulted && vaulted.customer !== pi.customer)
      throw invalidRequest(
        `The provided PaymentMethod belongs to another customer than ${pi.customer ?? 'none'}.`,
        'payment_method_invalid_parameter',
        'payment_method',
      )
    const method = METHODS[vaulted?.base ?? pi.payment_method ?? '']
    if (!method) {
      throw invalidRequest(
        `No such PaymentMethod: '${pi.payment_method}'`,
        'resource_missing',
        'payment_method',
      )
    }
    if (offSession.has(pi.id) && (method.behaviour === '3ds' || method.behaviour === 'auth_off_session')) {
      // Off-session, nobody can answer the challenge: Stripe declines and the customer must come back.
      charge(pi, method)
      pi.status = 'requires_payment_method'
      pi.last_payment_error = {
        type: 'card_error',
        code: 'authentication_required',
        decline_code: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      }
      emit('payment_intent.payment_failed', pi as unknown as Json)
      throw cardError(
        'authentication_required',
        'authentication_required',
        'Your card was declined. This transaction requires authentication.',
        pi as unknown as Json,
      )
    }
    switch (method.behaviour) {
      case 'unavailable':
        throw new StripeHttpError(503, { type: 'api_error', message: 'Service temporarily unavailable.' })
      case 'generic_decline':
      case 'insufficient_funds': {
        charge(pi, method)
        pi.status = 'requires_payment_method'
        const declineCode = method.behaviour
        pi.last_payment_error = {
          type: 'card_error',
          code: 'card_declined',
          decline_code: declineCode,
          message: 'Your card was declined.',
        }
        emit('payment_intent.payment_failed', pi as unknown as Json)
        throw cardError('card_declined', declineCode, 'Your card was declined.', pi as unknown as Json)
      }
      case '3ds':
        pi.status = 'requires_action'
        pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } }
        return { slow: false }
      case 'ok':
      case 'auth_off_session':
      case 'dispute':
      case 'slow':
        charge(pi, method)
        if (pi.capture_method === 'manual') {
          pi.status = 'requires_capture'
          pi.amount_capturable = pi.amount
          emit('payment_intent.amount_capturable_updated', pi as unknown as Json)
        } else settleCapture(pi, pi.amount)
        return { slow: method.behaviour === 'slow' }
    }
  }

  /** A test method attached to a customer becomes a new PaymentMethod, as Stripe does. */
  const savePaymentMethod = (base: string, customer: string): Json => {
    const card = METHODS[base]
    if (!card) throw missing('payment_method', base)
    const exp = new Date((now() + 3 * 365 * 86_400) * 1000)
    const pm: Json = {
      id: id('pm'),
      object: 'payment_method',
      type: 'card',
      customer,
      card: {
        brand: card.brand,
        last4: card.last4,
        exp_month: exp.getUTCMonth() + 1,
        exp_year: exp.getUTCFullYear(),
      },
      created: now(),
      livemode: false,
    }
    attached.set(pm.id as string, { base, customer })
    paymentMethods.set(pm.id as string, pm)
    emit('payment_method.attached', pm)
    return pm
  }

  /** Confirms a SetupIntent with a test method: verification declines, 3-D Secure waits for the holder. */
  const confirmSetup = (si: Json, method: string | undefined): void => {
    if (!method)
      throw invalidRequest('A payment_method is required to confirm', 'parameter_missing', 'payment_method')
    const card = METHODS[method]
    if (!card) throw missing('payment_method', method)
    const customer = (si.customer as string | null) ?? ''
    if (card.behaviour === 'generic_decline') {
      si.status = 'requires_payment_method'
      si.last_setup_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' }
      emit('setup_intent.setup_failed', si)
      throw new StripeHttpError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
        setup_intent: structuredClone(si),
      })
    }
    if (card.behaviour === '3ds') {
      si.status = 'requires_action'
      si.next_action = { type: 'use_stripe_sdk' }
      return
    }
    const pm = customers.has(customer) ? savePaymentMethod(method, customer) : undefined
    si.payment_method = pm ? pm.id : method
    si.status = 'succeeded'
    emit('setup_intent.succeeded', si)
  }

  const amountOf = (v: string | undefined, param: string): number => {
    const n = Number(v)
    if (!v || !Number.isInteger(n) || n < 1)
      throw invalidRequest(`Invalid integer: ${v}`, 'parameter_invalid_integer', param)
    if (n > 99_999_999)
      throw invalidRequest('Amount must be no more than $999,999.99', 'amount_too_large', param)
    return n
  }

  const routes: {
    method: string
    pattern: RegExp
    handle: (m: RegExpMatchArray, body: FormObject, query: FormObject) => { body: Json; slow?: boolean }
  }[] = [
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents$/,
      handle: (_m, body) => {
        const currency = str(body.currency)?.toLowerCase()
        if (!currency || !/^[a-z]{3}$/.test(currency))
          throw invalidRequest('Invalid currency', undefined, 'currency')
        const pi: PaymentIntent = {
          id: id('pi'),
          object: 'payment_intent',
          amount: amountOf(str(body.amount), 'amount'),
          amount_capturable: 0,
          amount_received: 0,
          currency,
          status: 'requires_confirmation',
          capture_method: str(body.capture_method) === 'manual' ? 'manual' : 'automatic',
          customer: str(body.customer) ?? null,
          description: str(body.description) ?? null,
          metadata: Object.fromEntries(
            Object.entries(obj(body.metadata)).filter((e): e is [string, string] => typeof e[1] === 'string'),
          ),
          payment_method: str(body.payment_method) ?? null,
          latest_charge: null,
          last_payment_error: null,
          next_action: null,
          canceled_at: null,
          created: now(),
          livemode: false,
        }
        intents.set(pi.id, pi)
        if (str(body.off_session) === 'true') offSession.add(pi.id)
        emit('payment_intent.created', pi as unknown as Json)
        const slow = str(body.confirm) === 'true' ? confirm(pi, undefined).slow : false
        return { body: expand(pi as unknown as Json, list(body.expand)), slow }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/payment_intents\/search$/,
      handle: (_m, _b, query) => {
        const clauses = [...(str(query.query) ?? '').matchAll(/metadata\['([^']+)'\]\s*:\s*'([^']*)'/g)]
        const data = [...intents.values()]
          .filter((pi) => clauses.length > 0 && clauses.every((c) => pi.metadata[c[1]!] === c[2]))
          .reverse()
          .map((pi) => expand(pi as unknown as Json, list(query.expand)))
        return {
          body: {
            object: 'search_result',
            url: '/v1/payment_intents/search',
            data,
            has_more: false,
            next_page: null,
          },
        }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/payment_intents\/(pi_\w+)$/,
      handle: (m, _b, query) => ({ body: expand(requirePi(m[1]!) as unknown as Json, list(query.expand)) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents\/(pi_\w+)\/confirm$/,
      handle: (m, body) => {
        const pi = requirePi(m[1]!)
        if (!['requires_confirmation', 'requires_payment_method'].includes(pi.status))
          throw unexpectedState(pi, 'confirm')
        const { slow } = confirm(pi, str(body.payment_method))
        return { body: expand(pi as unknown as Json, list(body.expand)), slow }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents\/(pi_\w+)\/capture$/,
      handle: (m, body) => {
        const pi = requirePi(m[1]!)
        if (pi.status !== 'requires_capture') throw unexpectedState(pi, 'capture')
        const amount =
          body.amount_to_capture === undefined
            ? pi.amount_capturable
            : amountOf(str(body.amount_to_capture), 'amount_to_capture')
        if (amount > pi.amount_capturable)
          throw invalidRequest(
            'The amount_to_capture must be less than or equal to the amount_capturable.',
            'amount_too_large',
            'amount_to_capture',
          )
        settleCapture(pi, amount)
        return { body: expand(pi as unknown as Json, list(body.expand)) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_intents\/(pi_\w+)\/cancel$/,
      handle: (m, body) => {
        const pi = requirePi(m[1]!)
        if (['succeeded', 'canceled', 'processing'].includes(pi.status)) throw unexpectedState(pi, 'cancel')
        pi.status = 'canceled'
        pi.amount_capturable = 0
        pi.canceled_at = now()
        emit('payment_intent.canceled', pi as unknown as Json)
        return { body: expand(pi as unknown as Json, list(body.expand)) }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/refunds$/,
      handle: (_m, body) => {
        const piId = str(body.payment_intent) ?? ''
        const pi = requirePi(piId)
        if (pi.status !== 'succeeded') throw unexpectedState(pi, 'refund')
        const ch = charges.get(pi.latest_charge!)!
        const remaining = pi.amount_received - (ch.amount_refunded as number)
        if (remaining === 0)
          throw invalidRequest(
            `Charge ${ch.id as string} has already been refunded.`,
            'charge_already_refunded',
          )
        const amount = body.amount === undefined ? remaining : amountOf(str(body.amount), 'amount')
        if (amount > remaining)
          throw invalidRequest(
            `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
            'amount_too_large',
            'amount',
          )
        const re: Json = {
          id: id('re'),
          object: 'refund',
          amount,
          currency: pi.currency,
          charge: ch.id,
          payment_intent: pi.id,
          status: 'succeeded',
          metadata: obj(body.metadata),
          created: now(),
          balance_transaction: null,
        }
        re.balance_transaction = book(-amount, pi.currency, 0, 'refund', 'refund', re.id as string)
        refunds.set(re.id as string, re)
        ch.amount_refunded = (ch.amount_refunded as number) + amount
        ch.refunded = ch.amount_refunded === pi.amount_received
        emit('refund.created', re)
        emit('charge.refunded', ch)
        return { body: re }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/refunds\/(re_\w+)$/,
      handle: (m) => {
        const re = refunds.get(m[1]!)
        if (!re) throw missing('refund', m[1]!)
        return { body: re }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/disputes$/,
      handle: (_m, _b, query) => {
        const pi = str(query.payment_intent)
        const data = [...disputes.values()].filter((d) => !pi || d.payment_intent === pi).reverse()
        return { body: { object: 'list', url: '/v1/disputes', data, has_more: false } }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/disputes\/(dp_\w+)$/,
      handle: (m) => {
        const dp = disputes.get(m[1]!)
        if (!dp) throw missing('dispute', m[1]!)
        return { body: dp }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payouts$/,
      handle: (_m, body) => {
        const amount = amountOf(str(body.amount), 'amount')
        const currency = (str(body.currency) ?? '').toLowerCase()
        const po: Json = {
          id: id('po'),
          object: 'payout',
          amount,
          currency,
          status: 'pending',
          arrival_date: now() + 86_400,
          created: now(),
          balance_transaction: null,
        }
        po.balance_transaction = book(-amount, currency, 0, 'payout', 'payout', po.id as string)
        payouts.set(po.id as string, po)
        emit('payout.created', po)
        return { body: po }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/customers$/,
      handle: () => {
        const cus = { id: id('cus'), object: 'customer', created: now(), livemode: false }
        customers.add(cus.id)
        return { body: cus }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/setup_intents$/,
      handle: (_m, body) => {
        const customer = str(body.customer) ?? null
        if (customer && !customers.has(customer)) throw missing('customer', customer)
        const siId = id('seti')
        const si: Json = {
          id: siId,
          object: 'setup_intent',
          client_secret: `${siId}_secret_${randomUUID().replace(/-/g, '')}`,
          customer,
          payment_method: str(body.payment_method) ?? null,
          status: 'requires_payment_method',
          usage: str(body.usage) ?? 'off_session',
          last_setup_error: null,
          next_action: null,
          metadata: obj(body.metadata),
          created: now(),
          livemode: false,
        }
        setupIntents.set(siId, si)
        if (str(body.confirm) === 'true') confirmSetup(si, str(body.payment_method))
        return { body: si }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/setup_intents\/(\w+)$/,
      handle: (m) => {
        const si = setupIntents.get(m[1]!)
        if (!si) throw missing('setup_intent', m[1]!)
        return { body: si }
      },
    },
    {
      // What Stripe.js does in the browser (stripe.confirmCardSetup) with the client_secret.
      method: 'POST',
      pattern: /^\/v1\/setup_intents\/(\w+)\/confirm$/,
      handle: (m, body) => {
        const si = setupIntents.get(m[1]!)
        if (!si) throw missing('setup_intent', m[1]!)
        confirmSetup(si, str(body.payment_method) ?? (si.payment_method as string | undefined))
        return { body: si }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/payment_methods\/(\w+)$/,
      handle: (m) => {
        const pm = paymentMethods.get(m[1]!)
        if (!pm) throw missing('payment_method', m[1]!)
        return { body: pm }
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/payment_methods\/(\w+)\/attach$/,
      handle: (m, body) => {
        const customer = str(body.customer) ?? ''
        if (!customers.has(customer)) throw missing('customer', customer)
        return { body: savePaymentMethod(m[1]!, customer) }
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/balance_transactions$/,
      handle: (_m, _b, query) => {
        const created = obj(query.created)
        const bound = (k: string): number | undefined =>
          str(created[k]) === undefined ? undefined : Number(str(created[k]))
        const [gte, gt, lte, lt] = [bound('gte'), bound('gt'), bound('lte'), bound('lt')]
        const limit = Math.min(100, Number(str(query.limit) ?? 10))
        let rows = balanceTransactions
          .filter(
            (b) =>
              (gte === undefined || b.created >= gte) &&
              (gt === undefined || b.created > gt) &&
              (lte === undefined || b.created <= lte) &&
              (lt === undefined || b.created < lt),
          )
          .slice()
          .reverse()
        const after = str(query.starting_after)
        if (after) rows = rows.slice(rows.findIndex((b) => b.id === after) + 1)
        const page = rows.slice(0, limit)
        const body: Json = {
          object: 'list',
          url: '/v1/balance_transactions',
          data: page,
          has_more: rows.length > limit,
        }
        return { body: expand(body, list(query.expand)) }
      },
    },
  ]

  const dispatch = async (req: IncomingMessage): Promise<{ status: number; body: Json; slow: boolean }> => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const auth = req.headers.authorization ?? ''
    if (auth !== `Bearer ${secretKey}`) {
      return {
        status: 401,
        body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_****' } },
        slow: false,
      }
    }
    const fault = faults.find((f) => f.match(method, url.pathname))
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0) faults = faults.filter((f) => f !== fault)
      return {
        status: fault.status,
        body: { error: fault.error ?? { type: 'api_error', message: 'An unknown error occurred.' } },
        slow: false,
      }
    }
    const key = req.headers['idempotency-key']
    const fingerprint = `${method} ${url.pathname} ${raw}`
    if (method === 'POST' && typeof key === 'string') {
      const seen = idempotent.get(key)
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return {
            status: 400,
            body: {
              error: {
                type: 'idempotency_error',
                message: 'Keys for idempotent requests can only be used with the same parameters.',
              },
            },
            slow: false,
          }
        }
        return { status: seen.status, body: seen.body, slow: false }
      }
    }
    const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname))
    let result: { status: number; body: Json; slow: boolean }
    if (!route) {
      result = {
        status: 404,
        body: {
          error: {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${method}: ${url.pathname}).`,
          },
        },
        slow: false,
      }
    } else {
      try {
        const out = route.handle(
          url.pathname.match(route.pattern)!,
          parseForm(raw),
          parseForm(url.search.slice(1)),
        )
        result = { status: 200, body: out.body, slow: out.slow ?? false }
      } catch (e) {
        if (!(e instanceof StripeHttpError)) throw e
        result = { status: e.status, body: { error: e.body }, slow: false }
      }
    }
    // Like Stripe, a 5xx is not remembered, so a retry with the same key runs again.
    if (method === 'POST' && typeof key === 'string' && result.status < 500)
      idempotent.set(key, { fingerprint, status: result.status, body: result.body })
    return result
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requestCount++
    dispatch(req).then(
      ({ status, body, slow }) => {
        const send = (): void => {
          if (res.destroyed) return
          res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') })
          res.end(JSON.stringify(body))
        }
        if (slow) setTimeout(send, slowMs).unref()
        else send()
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { type: 'api_error', message: String(err) } }))
      },
    )
  })
  let requestCount = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    host: '127.0.0.1',
    port,
    secretKey,
    events,
    balanceTransactions,
    get requests() {
      return requestCount
    },
    updateCard(pmId, change) {
      const pm = paymentMethods.get(pmId)
      if (!pm) throw new Error(`no payment method ${pmId}`)
      const card = pm.card as Json
      if (change.expMonth !== undefined) card.exp_month = change.expMonth
      if (change.expYear !== undefined) card.exp_year = change.expYear
      if (change.last4 !== undefined) card.last4 = change.last4
      emit('payment_method.automatically_updated', pm)
      return structuredClone(pm)
    },
    fault: (f) => faults.push(f),
    clearFaults: () => {
      faults = []
    },
    paymentIntent: (piId) =>
      intents.has(piId) ? structuredClone(intents.get(piId) as unknown as Json) : undefined,
    closeDispute(dpId, outcome) {
      const dp = disputes.get(dpId)
      if (!dp) throw new Error(`no dispute ${dpId}`)
      dp.status = outcome
      if (outcome === 'won') {
        ;(dp.balance_transactions as string[]).push(
          book(
            dp.amount as number,
            dp.currency as string,
            -DISPUTE_FEE,
            'adjustment',
            'dispute_reversal',
            dpId,
          ),
        )
      }
      emit('charge.dispute.closed', dp)
      return structuredClone(dp)
    },
    settlePayout(poId, outcome) {
      const po = payouts.get(poId)
      if (!po) throw new Error(`no payout ${poId}`)
      po.status = outcome
      if (outcome === 'failed')
        book(po.amount as number, po.currency as string, 0, 'payout_failure', 'payout_reversal', poId)
      emit(`payout.${outcome}`, po)
      return structuredClone(po)
    },
    plantBalanceTransaction(bt) {
      const t = bt.created ?? now()
      const row: StripeBalanceTransaction = {
        id: bt.id ?? id('txn'),
        object: 'balance_transaction',
        amount: bt.amount,
        currency: bt.currency ?? 'usd',
        fee: bt.fee ?? 0,
        net: bt.amount - (bt.fee ?? 0),
        type: bt.type,
        reporting_category: bt.reporting_category ?? bt.type,
        source: bt.source ?? null,
        created: t,
        available_on: t,
        status: 'available',
      }
      balanceTransactions.push(row)
      return row.id
    },
    alterBalanceTransaction(btId, change) {
      const bt = balanceTransactions.find((b) => b.id === btId)
      if (!bt) throw new Error(`no balance transaction ${btId}`)
      if (change.amount !== undefined) {
        bt.amount = change.amount
        bt.net = change.amount - bt.fee
      }
      if (change.currency !== undefined) bt.currency = change.currency
    },
    dropBalanceTransaction(btId) {
      const i = balanceTransactions.findIndex((b) => b.id === btId)
      if (i >= 0) balanceTransactions.splice(i, 1)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
