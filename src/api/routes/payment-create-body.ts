import { Type, type Static } from '@sinclair/typebox'
import type { CreatePaymentInput } from '../../modules/payments/index.js'
import { parseAmount } from '../../shared/money.js'
import { MAX_PAYMENT_AMOUNT, MinorUnits } from '../schemas.js'

/**
 * A payment's creation as the API takes it: the body of `POST /v1/payments` and an item of
 * `POST /v1/payments/commands` (payment-commands.ts), with what turns it into the service's input.
 */

// What a caller may ask to move: bounded so that no single payment can fill a ledger account.
export const RequestAmount = MinorUnits({ positive: true, max: MAX_PAYMENT_AMOUNT })
export const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' })
export const Metadata = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.String({ maxLength: 500 }),
  { maxProperties: 50 },
)
export const CreateBody = Type.Object(
  {
    amount: RequestAmount,
    currency: CurrencyCode,
    paymentMethod: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Token, nonce or saved method id',
    }),
    capture: Type.Optional(Type.Union([Type.Literal('automatic'), Type.Literal('manual')])),
    confirm: Type.Optional(Type.Boolean()),
    customer: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    metadata: Type.Optional(Metadata),
    partyId: Type.Optional(
      Type.String({
        pattern: '^pty_[0-9a-f]{32}$',
        description: 'The paying customer party (must exist; linked to the payment)',
      }),
    ),
  },
  { additionalProperties: false },
)

/** The fields the service reads (partyId is the route's: it links the payment after creation). */
export function createInputOf(b: Omit<Static<typeof CreateBody>, 'partyId'>): CreatePaymentInput {
  return {
    amount: parseAmount(b.amount),
    currency: b.currency,
    paymentMethod: b.paymentMethod,
    ...(b.capture ? { capture: b.capture } : {}),
    ...(b.confirm !== undefined ? { confirm: b.confirm } : {}),
    ...(b.customer ? { customer: b.customer } : {}),
    ...(b.description !== undefined ? { description: b.description } : {}),
    ...(b.metadata ? { metadata: b.metadata } : {}),
  }
}
