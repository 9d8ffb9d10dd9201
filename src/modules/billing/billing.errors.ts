import { AppError, type ErrorKind } from '../../shared/errors.js'

/** Every code the billing module raises, its kind (HTTP status) and what to tell the caller (docs/errors.md). */
export const BILLING_ERRORS = {
  BILLING_INVALID: ['invalid', 'The billing request is not valid'],
  BILLING_PRODUCT_NOT_FOUND: ['not_found', 'No such product'],
  BILLING_PRICE_NOT_FOUND: ['not_found', 'No such price'],
  BILLING_PRICE_INACTIVE: ['conflict', 'The price is archived: new subscriptions cannot use it'],
  BILLING_CUSTOMER_NOT_FOUND: ['not_found', 'No such customer (party)'],
  BILLING_SUBSCRIPTION_NOT_FOUND: ['not_found', 'No such subscription'],
  BILLING_SUBSCRIPTION_STATE: ['conflict', 'The subscription cannot do that in its current status'],
  BILLING_INVOICE_NOT_FOUND: ['not_found', 'No such invoice'],
  BILLING_PAYMENT_METHOD_NOT_FOUND: ['not_found', 'No such payment method for this customer'],
  BILLING_PAYMENT_METHOD_REQUIRED: [
    'conflict',
    'The customer has no usable payment method: attach one (POST /v1/customers/:id/payment-methods)',
  ],
  BILLING_GATEWAY_UNSUPPORTED: ['rejected', 'The gateway cannot save payment methods'],
  BILLING_PAYMENT_METHOD_REFUSED: ['rejected', 'The gateway refused to save the payment method'],
  BILLING_CLOCK_BACKWARDS: ['conflict', 'The test clock only moves forward'],
  BILLING_NOTHING_TO_CREDIT: ['conflict', 'Nothing of the invoice is left to credit'],
  BILLING_CURRENCY_MISMATCH: ['invalid', 'The new price has another currency than the subscription'],
  IDEMPOTENCY_CONFLICT: ['conflict', 'This idempotency key was used with a different request'],
} as const satisfies Record<string, readonly [ErrorKind, string]>

export type BillingErrorCode = keyof typeof BILLING_ERRORS

export function billingError(code: BillingErrorCode, detail?: string): AppError {
  const [kind, message] = BILLING_ERRORS[code]
  return new AppError(code, kind, detail ? `${message}: ${detail}` : message)
}
