/**
 * Stripe's customer vault behind the saved-methods port, through the official SDK (client.ts):
 * - startSetup: a SetupIntent (`usage: off_session`) on a Stripe Customer (created on first use); the
 *   browser confirms it with Stripe.js using the client_secret, so the card never reaches us;
 * - save: a confirmed SetupIntent id (`seti_…`, the browser flow) or a PaymentMethod id (`pm_…`,
 *   confirmed here through a server-side SetupIntent, which verifies the card and attaches it to the
 *   Customer). Only the PaymentMethod id and display data come back;
 * - charge: a PaymentIntent with `off_session: true, confirm: true` and our idempotency key (Stripe
 *   dedupes on it for 24 h). A card that needs its holder answers `authentication_required`: a
 *   `requires_action` outcome (the customer must come back on-session); other declines are
 *   outcomes with Stripe's decline_code; outages and misconfiguration throw GatewayError.
 */
import type Stripe from 'stripe'
import { GatewayError, isGatewayError } from '../../gateway.js'
import type { OffSessionOutcome, SavedMethod, SavedMethodsGateway } from '../../saved-methods.js'
import { createStripeClient, type StripeClientOptions } from './client.js'

const cardOf = (customerRef: string, pm: Stripe.PaymentMethod): SavedMethod => ({
  customerRef,
  token: pm.id,
  kind: 'card',
  ...(pm.card?.brand ? { brand: pm.card.brand } : {}),
  ...(pm.card?.last4 ? { last4: pm.card.last4 } : {}),
  ...(pm.card?.exp_month ? { expMonth: pm.card.exp_month } : {}),
  ...(pm.card?.exp_year ? { expYear: pm.card.exp_year } : {}),
})

const refused = (why: string, code: string) =>
  new GatewayError('declined', `Stripe SetupIntent: ${why}`, { vendorCode: code })

/** The vendor's error object on a failed off-session PaymentIntent (code / decline_code). */
const stripeCodes = (err: GatewayError): { code?: string; decline?: string; pi?: string } => {
  const raw = err.cause as
    { code?: string; decline_code?: string; payment_intent?: { id?: string } } | undefined
  return {
    ...(raw?.code ? { code: raw.code } : {}),
    ...(raw?.decline_code ? { decline: raw.decline_code } : {}),
    ...(raw?.payment_intent?.id ? { pi: raw.payment_intent.id } : {}),
  }
}

export function createStripeSavedMethods(opts: StripeClientOptions): SavedMethodsGateway {
  const client = createStripeClient(opts)
  const ensureCustomer = async (customerRef?: string) =>
    customerRef ?? (await client.call('customer', (s) => s.customers.create({}))).id

  async function confirmedSetup(setupId: string): Promise<{ customer: string; paymentMethod: string }> {
    const si = await client.call('setupIntent', (s) => s.setupIntents.retrieve(setupId))
    if (si.status !== 'succeeded')
      throw refused(`the SetupIntent is ${si.status}, not succeeded`, si.last_setup_error?.code ?? si.status)
    const pm = typeof si.payment_method === 'string' ? si.payment_method : si.payment_method?.id
    const customer = typeof si.customer === 'string' ? si.customer : si.customer?.id
    if (!pm || !customer)
      throw refused('the SetupIntent has no payment method or customer', 'setup_incomplete')
    return { customer, paymentMethod: pm }
  }

  return {
    name: 'stripe',
    capabilities: { clientToken: false, setupIntents: true, paypal: false, cardUpdater: true },
    async startSetup(input) {
      const customer = await ensureCustomer(input.customerRef)
      const si = await client.call('setupIntent', (s) =>
        s.setupIntents.create({
          customer,
          usage: 'off_session',
          metadata: { tenant: input.tenantId },
        }),
      )
      return { customerRef: customer, clientSecret: si.client_secret ?? '', setupRef: si.id }
    },
    async save(input): Promise<SavedMethod> {
      let customer: string
      let paymentMethod: string
      if (input.paymentMethod.startsWith('seti_')) {
        ;({ customer, paymentMethod } = await confirmedSetup(input.paymentMethod))
        if (input.customerRef && customer !== input.customerRef)
          throw refused('the SetupIntent belongs to another customer', 'customer_mismatch')
      } else {
        customer = await ensureCustomer(input.customerRef)
        // Verifies the card and attaches the PaymentMethod to the Customer for later off-session use.
        const si = await client.call('setupIntent', (s) =>
          s.setupIntents.create({
            customer,
            payment_method: input.paymentMethod,
            usage: 'off_session',
            confirm: true,
            metadata: { tenant: input.tenantId },
          }),
        )
        if (si.status !== 'succeeded')
          throw refused(`the card needs its holder to finish setup (${si.status})`, 'authentication_required')
        paymentMethod =
          typeof si.payment_method === 'string' ? si.payment_method : (si.payment_method?.id ?? '')
      }
      const pm = await client.call('paymentMethod', (s) => s.paymentMethods.retrieve(paymentMethod))
      return cardOf(customer, pm)
    },
    async charge(input): Promise<OffSessionOutcome> {
      try {
        const pi = await client.call('off-session charge', (s) =>
          s.paymentIntents.create(
            {
              amount: Number(input.amount),
              currency: input.currency.toLowerCase(),
              customer: input.customerRef,
              payment_method: input.token,
              off_session: true,
              confirm: true,
              metadata: { ...input.metadata, tenant: input.tenantId, idempotency_key: input.idempotencyKey },
            },
            { idempotencyKey: input.idempotencyKey },
          ),
        )
        if (pi.status === 'succeeded' || pi.status === 'processing')
          return { status: 'succeeded', gatewayRef: pi.id }
        if (pi.status === 'requires_action')
          return { status: 'requires_action', gatewayRef: pi.id, declineCode: 'authentication_required' }
        return {
          status: 'declined',
          gatewayRef: pi.id,
          declineCode: pi.last_payment_error?.decline_code ?? 'generic_decline',
        }
      } catch (err) {
        if (!isGatewayError(err) || err.failure !== 'declined') throw err
        const c = stripeCodes(err)
        if (c.code === 'authentication_required' || c.decline === 'authentication_required')
          return {
            status: 'requires_action',
            ...(c.pi ? { gatewayRef: c.pi } : {}),
            declineCode: 'authentication_required',
          }
        return {
          status: 'declined',
          ...(c.pi ? { gatewayRef: c.pi } : {}),
          declineCode: c.decline ?? c.code ?? 'generic_decline',
        }
      }
    },
  }
}
