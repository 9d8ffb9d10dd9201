/**
 * Braintree's vault behind the saved-methods port, through the official SDK (client.ts):
 * - startSetup: a client token for Drop-in / hosted fields / the PayPal vault flow, bound to a
 *   Braintree customer (created on first use);
 * - save: the browser's nonce → `paymentMethod.create` with card verification on; a PayPal nonce
 *   becomes a billing agreement vaulted like a card;
 * - charge: `transaction.sale` on the vaulted token with `transactionSource: recurring` (a
 *   merchant-initiated charge), submitted for settlement. Processor declines are outcomes with a
 *   normalised decline code; only outages and misconfiguration throw.
 */
import { currency as currencyOf, formatMinor } from '../../../../shared/money.js'
import { GatewayError, isGatewayError } from '../../gateway.js'
import type { OffSessionOutcome, SavedMethod, SavedMethodsGateway } from '../../saved-methods.js'
import { createBraintreeClient, type BraintreeClientOptions } from './client.js'

/** Braintree processor response codes → the decline codes dunning reasons about (saved-methods.ts). */
const PROCESSOR_DECLINES: Readonly<Record<string, string>> = {
  '2000': 'do_not_honor',
  '2001': 'insufficient_funds',
  '2002': 'card_velocity_exceeded',
  '2003': 'card_velocity_exceeded',
  '2004': 'expired_card',
  '2005': 'incorrect_number',
  '2010': 'incorrect_cvc',
  '2012': 'lost_card',
  '2013': 'stolen_card',
  '2014': 'fraudulent',
  '2038': 'generic_decline',
  '2044': 'pickup_card',
  '2046': 'generic_decline',
  '2047': 'pickup_card',
  '3000': 'processing_error',
}

export const braintreeDeclineCode = (vendorCode: string | undefined): string =>
  vendorCode?.startsWith('gateway_rejected')
    ? 'fraudulent'
    : (PROCESSOR_DECLINES[vendorCode ?? ''] ?? 'generic_decline')

interface VaultedMethod {
  readonly token: string
  readonly customerId: string
  readonly email?: string
  readonly cardType?: string
  readonly last4?: string
  readonly expirationMonth?: string
  readonly expirationYear?: string
}

interface CreateResult {
  readonly success: boolean
  readonly message?: string
  readonly paymentMethod?: VaultedMethod
  readonly verification?: { readonly status?: string; readonly processorResponseCode?: string }
}

export function createBraintreeSavedMethods(opts: BraintreeClientOptions): SavedMethodsGateway {
  const client = createBraintreeClient(opts)
  const ensureCustomer = async (customerRef?: string) =>
    customerRef ?? (await client.call('customer', (s) => s.customer.create({}))).customer.id

  return {
    name: 'braintree',
    capabilities: { clientToken: true, setupIntents: false, paypal: true, cardUpdater: true },
    async startSetup(input) {
      const customerId = await ensureCustomer(input.customerRef)
      const result = await client.call('clientToken', (s) => s.clientToken.generate({ customerId }))
      return { customerRef: customerId, clientSecret: result.clientToken }
    },
    async save(input): Promise<SavedMethod> {
      const customerId = await ensureCustomer(input.customerRef)
      // The result is wrapped so a failed verification reaches us as a result, not as an exception.
      const { r } = await client.call('vault', async (s) => ({
        r: (await s.paymentMethod.create({
          customerId,
          paymentMethodNonce: input.paymentMethod,
          options: { verifyCard: true },
        })) as unknown as CreateResult,
      }))
      if (!r.success || !r.paymentMethod) {
        const code = r.verification?.processorResponseCode
        throw new GatewayError('declined', `Braintree vault: ${r.message ?? 'refused'}`, {
          vendorCode: r.verification ? braintreeDeclineCode(code) : 'vault_refused',
        })
      }
      const m = r.paymentMethod
      if (m.email !== undefined)
        return { customerRef: customerId, token: m.token, kind: 'paypal', email: m.email }
      return {
        customerRef: customerId,
        token: m.token,
        kind: 'card',
        ...(m.cardType ? { brand: m.cardType.toLowerCase() } : {}),
        ...(m.last4 ? { last4: m.last4 } : {}),
        ...(m.expirationMonth ? { expMonth: Number(m.expirationMonth) } : {}),
        ...(m.expirationYear ? { expYear: Number(m.expirationYear) } : {}),
      }
    },
    async charge(input): Promise<OffSessionOutcome> {
      try {
        const result = await client.call('recurring sale', (s) =>
          s.transaction.sale({
            amount: formatMinor(input.amount, currencyOf(input.currency)),
            paymentMethodToken: input.token,
            customerId: input.customerRef,
            transactionSource: 'recurring',
            // Braintree has no idempotency key; the order id carries ours for the sweeper and support.
            orderId: input.idempotencyKey.slice(0, 255),
            options: { submitForSettlement: true },
          }),
        )
        return { status: 'succeeded', gatewayRef: result.transaction.id }
      } catch (err) {
        if (isGatewayError(err) && err.failure === 'declined')
          return { status: 'declined', declineCode: braintreeDeclineCode(err.vendorCode) }
        throw err
      }
    },
  }
}
