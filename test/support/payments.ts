import { expect } from 'vitest'
import { createCatalogue, createOutbox, ledgerEvents } from '../../src/modules/events/index.js'
import { createLedger, type Ledger } from '../../src/modules/ledger/index.js'
import {
  createGatewayRegistry,
  createPayments,
  createSandboxGateway,
  GatewayError,
  paymentEvents,
  type AuthorizeInput,
  type CreatePaymentInput,
  type GatewayEvent,
  type GatewayRegistry,
  type Payment,
  type PaymentGateway,
  type Payments,
  type PaymentsDeps,
  type SandboxGateway,
  type WriteOptions,
} from '../../src/modules/payments/index.js'
import { fixedClock, type FixedClock } from '../../src/shared/clock.js'
import type { Db, DbHandle } from '../../src/shared/db/connect.js'
import { systemIds } from '../../src/shared/ids.js'
import { freshTenant } from './db.js'

export const SANDBOX_SECRET = `whsec_${Buffer.from('moneta-test-sandbox-secret-32bytes!').toString('base64')}`

export interface PaymentsHarness {
  readonly payments: Payments
  readonly ledger: Ledger
  readonly sandbox: SandboxGateway
  /** A second sandbox instance registered as "sandbox2", to prove failover. */
  readonly sandbox2: SandboxGateway
  readonly registry: GatewayRegistry
  close(): Promise<void>
}

/** Fault injection for tests: what the payments service sees instead of the real ledger / sandbox. */
export interface HarnessFaults {
  readonly ledger?: (ledger: Ledger) => Ledger
  readonly sandbox?: (sandbox: SandboxGateway) => PaymentGateway
  readonly sandbox2?: (sandbox: SandboxGateway) => PaymentGateway
  /** Where the service's audit entries go (nowhere unless a test reads them). */
  readonly audit?: PaymentsDeps['audit']
}

/** The payments service wired as app.ts does, on a test database, with two sandbox instances. */
export function paymentsHarness(h: DbHandle, clock: FixedClock, faults: HarnessFaults = {}): PaymentsHarness {
  const realLedger = createLedger({ db: h.db, clock, ids: systemIds })
  const sandbox = createSandboxGateway({ clock, webhookSecret: SANDBOX_SECRET })
  const sandbox2 = createSandboxGateway({ clock, webhookSecret: SANDBOX_SECRET, id: 'sandbox2' })
  const registry = createGatewayRegistry()
  registry.register(faults.sandbox ? faults.sandbox(sandbox) : sandbox, 'sandbox')
  registry.register(faults.sandbox2 ? faults.sandbox2(sandbox2) : sandbox2, 'sandbox2')
  const outbox = createOutbox(createCatalogue([...ledgerEvents, ...paymentEvents]))
  const ledger = faults.ledger ? faults.ledger(realLedger) : realLedger
  const payments = createPayments({
    db: h.db,
    clock,
    ids: systemIds,
    ledger,
    gateways: registry,
    outbox,
    ...(faults.audit ? { audit: faults.audit } : {}),
  })
  return {
    payments: sweepingOnlyItsOwn(payments),
    ledger: realLedger,
    sandbox,
    sandbox2,
    registry,
    close: () => realLedger.close(),
  }
}

/**
 * The payments service whose sweeper sweeps only the tenants this harness has served (unless a test
 * names them). Test files share one PostgreSQL server and each harness has gateways of its own: a
 * sweep across every tenant asked this harness's sandbox about another test's payments, which it
 * has no record of, and moved them on under that test (a payment still being created, a refund in
 * flight), with a clock hours ahead of theirs.
 */
function sweepingOnlyItsOwn(payments: Payments): Payments {
  const served = new Set<string>()
  const noting = <T extends object>(facet: T): T =>
    new Proxy(facet, {
      get(target, name, receiver) {
        const member: unknown = Reflect.get(target, name, receiver)
        if (typeof member !== 'function') return member
        return (...args: unknown[]) => {
          if (typeof args[0] === 'string') served.add(args[0])
          return (member as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  return {
    ...payments,
    commands: noting(payments.commands),
    webhooks: noting(payments.webhooks),
    routing: noting(payments.routing),
    sweeper: { sweep: (scope) => payments.sweeper.sweep(scope ?? { tenants: [...served] }) },
    close: () => payments.close(),
  }
}

/**
 * A harness whose sandbox carries out `call` at the gateway and then never answers, as when the
 * process died during the call; after `revive()` the same call answers again (the retry).
 */
export function harnessDyingDuring(
  h: DbHandle,
  clock: FixedClock,
  call: 'authorize' | 'refund',
): PaymentsHarness & { revive(): void } {
  let die = true
  const harness = paymentsHarness(h, clock, {
    sandbox: (s) => ({
      ...s,
      [call]: async (...args: Parameters<SandboxGateway[typeof call]>) => {
        const r = await (s[call] as (...a: typeof args) => Promise<unknown>)(...args)
        return die ? new Promise<never>(() => undefined) : r
      },
    }),
  })
  return { ...harness, revive: () => (die = false) }
}

/**
 * A harness whose `gateway` (sandbox or sandbox2) lets its first authorisation time out before
 * reaching it (an unknown outcome, no record at the gateway); later calls go through. `late()` is
 * that first request, for a test to deliver when it likes (the request that was only late).
 */
export function harnessWithLateAuthorize(
  h: DbHandle,
  clock: FixedClock,
  gateway: 'sandbox' | 'sandbox2' = 'sandbox',
): PaymentsHarness & { late(): AuthorizeInput } {
  let late: AuthorizeInput | undefined
  const harness = paymentsHarness(h, clock, {
    [gateway]: (s: SandboxGateway) => ({
      ...s,
      authorize: (input: AuthorizeInput) => {
        if (late) return s.authorize(input)
        late = input
        return Promise.reject(new GatewayError('unknown', 'no answer in time'))
      },
    }),
  })
  return {
    ...harness,
    late: () => {
      if (!late) throw new Error(`${gateway} has not been asked yet`)
      return late
    },
  }
}

/**
 * A payment whose create timed out before reaching sandbox, then found unknown there by the sweeper
 * two minutes later: back in requires_confirmation, its first request (`late()`) still to deliver.
 */
export async function awaitingConfirmationAfterNoRecord(h: DbHandle, amount: bigint, idempotencyKey: string) {
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  const t = harnessWithLateAuthorize(h, clock)
  const tenant = freshTenant()
  const first = await createCardPayment(t, tenant, { amount }, { idempotencyKey })
  clock.advance(120_000)
  await t.payments.sweeper.sweep()
  expect(await t.payments.queries.get(tenant, first.id)).toMatchObject({ status: 'requires_confirmation' })
  return { t, tenant, first, clock }
}

/**
 * A payment booked at sandbox although sandbox2 got its first request: routing sends it to sandbox2
 * (sandbox is down), whose call times out unsent; the sweeper finds no record there; sandbox2 is then
 * down when the payment is confirmed again, so it goes to sandbox. Then sandbox2's first request
 * arrives after all and is charged, and nothing has told us yet (no webhook applied).
 */
export async function bookedAfterALateRequest(h: DbHandle, capture: 'automatic' | 'manual') {
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  const t = harnessWithLateAuthorize(h, clock, 'sandbox2')
  const tenant = freshTenant()
  t.sandbox.setDown(true)
  const first = await createCardPayment(t, tenant, { amount: 1_500n, capture }, { idempotencyKey: 'k' })
  expect(first).toMatchObject({ status: 'unknown', gateway: 'sandbox2' })
  t.sandbox.setDown(false)
  clock.advance(120_000)
  await t.payments.sweeper.sweep()
  t.sandbox2.setDown(true)
  const booked = await t.payments.commands.confirm(tenant, first.id)
  expect(booked).toMatchObject({ gateway: 'sandbox', amountAuthorized: 1_500n })
  t.sandbox2.setDown(false)
  await t.sandbox2.authorize(t.late()) // the late request arrives and is charged
  return { t, tenant, booked, clock }
}

/**
 * sandbox charges the payment and then answers 503 (a vendor 5xx it had processed): a create fails
 * over to sandbox2. `beforeFailover` runs between the charge and the error answer.
 */
export function harnessChargedThen503(
  h: DbHandle,
  beforeFailover: (t: PaymentsHarness, paymentId: string) => Promise<void>,
): PaymentsHarness & { clock: FixedClock } {
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  const holder: { t?: PaymentsHarness } = {}
  const t = paymentsHarness(h, clock, {
    sandbox: (s) => ({
      ...s,
      authorize: async (input) => {
        await s.authorize(input)
        await beforeFailover(holder.t!, input.paymentId)
        throw new GatewayError('unavailable', 'Stripe error 500 (processed after all)')
      },
    }),
  })
  holder.t = t
  return { ...t, clock }
}

/**
 * A payment made through `commands.create`: a visa card in USD unless `input` names another method
 * or currency, so a test spells out only what it is about (the amount, a manual capture, a card).
 */
export function createCardPayment(
  t: PaymentsHarness,
  tenant: string,
  input: Partial<CreatePaymentInput> & { readonly amount: bigint },
  opts?: WriteOptions,
): Promise<Payment> {
  return t.payments.commands.create(
    tenant,
    { currency: 'USD', paymentMethod: 'pm_card_visa', ...input },
    opts,
  )
}

/** Applies a gateway's event to `tenant`'s payments in a transaction of its own, as the webhook inbox does. */
export function gatewayEventApplier(db: Db, t: PaymentsHarness, tenant: string, gateway = 'sandbox') {
  return (e: GatewayEvent) =>
    db.transaction().execute((tx) => t.payments.webhooks.applyGatewayEvent(tenant, gateway, e, { tx }))
}

/** Refund events the gateway emitted for a payment ref (each one is money that left). */
export const gatewayRefunds = (events: readonly GatewayEvent[], paymentRef: string) =>
  events.filter((e) => e.type === 'refund.succeeded' && e.paymentRef === paymentRef)

/** The payment has `amount` refunded and no refund still reserved. */
export async function expectRefunded(
  t: PaymentsHarness,
  tenant: string,
  paymentId: string,
  amount: bigint,
): Promise<void> {
  expect(await t.payments.queries.get(tenant, paymentId)).toMatchObject({
    amountRefunded: amount,
    amountRefundPending: 0n,
  })
}
