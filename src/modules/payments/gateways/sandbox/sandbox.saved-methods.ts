/**
 * The sandbox's saved payment methods: deterministic and stateless, so several Moneta processes
 * agree on every outcome. The vault token carries the magic behaviour and the card's expiry, the way
 * a real token stands for a card the vendor knows:
 *
 *   sbxpm_<behaviour>_<expYYYYMM>_<declinesFromYYYYMM or 000000>_r<random hex>
 *
 * The `r` keeps the random part from ever being twelve digits standing alone (1 token in ~280 was),
 * which a scanner for card numbers — ours in the contract test, a customer's DLP — takes for a PAN.
 *
 * Magic methods accepted by save() (docs/billing.md):
 *   pm_card_visa                  succeeds
 *   pm_card_expiring              expires at the end of next month: later charges decline expired_card
 *   pm_card_declines_later        charges succeed for three months from saving, then decline insufficient_funds
 *   pm_card_insufficient_funds    verification passes, charges decline insufficient_funds (worth retrying)
 *   pm_card_stolen                charges decline stolen_card (never retried)
 *   pm_card_authentication_required  off-session charges need the customer: authentication_required
 *   pm_paypal                     a PayPal billing agreement; succeeds
 *   pm_card_verification_fails    refused at save (verification failed)
 */
/* eslint-disable @typescript-eslint/require-await -- in-memory adapter of an async port */
import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../../../../shared/clock.js'
import { GatewayError, type GatewayEvent } from '../../gateway.js'
import type { OffSessionOutcome, SavedMethod, SavedMethodsGateway } from '../../saved-methods.js'

const BEHAVIOURS = {
  pm_card_visa: { code: 'ok', last4: '4242', brand: 'visa' },
  pm_card_expiring: { code: 'exp', last4: '0069', brand: 'visa' },
  pm_card_declines_later: { code: 'later', last4: '0341', brand: 'visa' },
  pm_card_insufficient_funds: { code: 'nsf', last4: '9995', brand: 'visa' },
  pm_card_stolen: { code: 'stolen', last4: '9979', brand: 'visa' },
  pm_card_authentication_required: { code: 'auth', last4: '3184', brand: 'visa' },
  pm_paypal: { code: 'paypal', last4: '', brand: 'paypal' },
} as const

type Code = (typeof BEHAVIOURS)[keyof typeof BEHAVIOURS]['code']
const byCode = new Map<string, (typeof BEHAVIOURS)[keyof typeof BEHAVIOURS]>(
  Object.values(BEHAVIOURS).map((b) => [b.code, b]),
)

export const SANDBOX_SAVED_METHODS = Object.keys(BEHAVIOURS)

export interface SandboxSavedMethods extends SavedMethodsGateway {
  /** A card-updater event as the sandbox would send it: the same card with a new expiry, a new token. */
  cardUpdate(token: string, expMonth: number, expYear: number): SavedMethod
  /**
   * The webhook event the sandbox's card updater sends for that update (sign it with the sandbox
   * gateway's `webhookFor` and post it to the webhook inbox, as a real gateway would).
   */
  cardUpdateEvent(token: string, expMonth: number, expYear: number, at: Date): GatewayEvent
}

interface Card {
  readonly code: Code
  readonly expMonth: number
  readonly expYear: number
  /** First moment charges decline (declines_later), else undefined. */
  readonly declinesFrom: Date | undefined
}

const yyyymm = (year: number, month: number) => `${year}${String(month).padStart(2, '0')}`

function decode(token: string): Card | undefined {
  const m = /^sbxpm_([a-z]+)_(\d{4})(\d{2})_(\d{4})(\d{2})_r?[0-9a-f]+$/.exec(token)
  if (!m || !byCode.has(m[1]!)) return undefined
  const fromYear = Number(m[4])
  return {
    code: m[1] as Code,
    expYear: Number(m[2]),
    expMonth: Number(m[3]),
    declinesFrom: fromYear === 0 ? undefined : new Date(Date.UTC(fromYear, Number(m[5]) - 1, 1)),
  }
}

function encode(code: Code, exp: { m: number; y: number }, declinesFrom?: Date): string {
  const from = declinesFrom ? yyyymm(declinesFrom.getUTCFullYear(), declinesFrom.getUTCMonth() + 1) : '000000'
  return `sbxpm_${code}_${yyyymm(exp.y, exp.m)}_${from}_r${randomBytes(6).toString('hex')}`
}

function display(code: Code, token: string, customerRef: string, exp: { m: number; y: number }): SavedMethod {
  const b = byCode.get(code)!
  if (code === 'paypal') return { customerRef, token, kind: 'paypal', email: 'payer@example.com' }
  return { customerRef, token, kind: 'card', brand: b.brand, last4: b.last4, expMonth: exp.m, expYear: exp.y }
}

/** End of the expiry month (cards are valid through the last day of their month). */
const expired = (at: Date, month: number, year: number) => at.getTime() >= Date.UTC(year, month, 1)

export function createSandboxSavedMethods(deps: { clock: Clock }): SandboxSavedMethods {
  return {
    name: 'sandbox',
    capabilities: { clientToken: false, setupIntents: true, paypal: true, cardUpdater: true },
    async startSetup(input) {
      const customerRef = input.customerRef ?? `sbxcus_${randomBytes(8).toString('hex')}`
      return { customerRef, clientSecret: `sbxseti_${randomBytes(12).toString('hex')}_secret` }
    },
    async save(input) {
      const customerRef = input.customerRef ?? `sbxcus_${randomBytes(8).toString('hex')}`
      if (input.paymentMethod === 'pm_card_verification_fails')
        throw new GatewayError('declined', 'Card verification failed', { vendorCode: 'card_declined' })
      const b = BEHAVIOURS[input.paymentMethod as keyof typeof BEHAVIOURS] as
        (typeof BEHAVIOURS)[keyof typeof BEHAVIOURS] | undefined
      if (!b) throw new GatewayError('declined', `Unknown sandbox payment method ${input.paymentMethod}`)
      const now = input.at ?? deps.clock.now()
      // The expiring card runs out at the end of next month; the others in ten years.
      const exp =
        b.code === 'exp'
          ? {
              m: ((now.getUTCMonth() + 1) % 12) + 1,
              y: now.getUTCFullYear() + (now.getUTCMonth() === 11 ? 1 : 0),
            }
          : { m: 12, y: now.getUTCFullYear() + 10 }
      // declines_later starts declining on the first day of the fourth month after it was saved.
      const declinesFrom =
        b.code === 'later' ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1)) : undefined
      return display(b.code, encode(b.code, exp, declinesFrom), customerRef, exp)
    },
    async charge(input): Promise<OffSessionOutcome> {
      const card = decode(input.token)
      if (!card)
        throw new GatewayError('declined', 'Unknown sandbox vault token', { vendorCode: 'invalid_token' })
      // A deterministic reference per idempotency key: the same call twice is the same charge.
      const gatewayRef = `sbxch_${createHash('sha256').update(input.idempotencyKey).digest('hex').slice(0, 24)}`
      if (card.code !== 'paypal' && expired(input.at, card.expMonth, card.expYear))
        return { status: 'declined', gatewayRef, declineCode: 'expired_card' }
      switch (card.code) {
        case 'later':
          return card.declinesFrom && input.at >= card.declinesFrom
            ? { status: 'declined', gatewayRef, declineCode: 'insufficient_funds' }
            : { status: 'succeeded', gatewayRef }
        case 'nsf':
          return { status: 'declined', gatewayRef, declineCode: 'insufficient_funds' }
        case 'stolen':
          return { status: 'declined', gatewayRef, declineCode: 'stolen_card' }
        case 'auth':
          return { status: 'requires_action', gatewayRef, declineCode: 'authentication_required' }
        case 'ok':
        case 'exp':
        case 'paypal':
          return { status: 'succeeded', gatewayRef }
      }
    },
    cardUpdate(token, expMonth, expYear) {
      const card = decode(token)
      if (!card) throw new GatewayError('declined', 'Unknown sandbox vault token')
      const exp = { m: expMonth, y: expYear }
      return display(card.code, encode(card.code, exp, card.declinesFrom), 'sbxcus_updated', exp)
    },
    cardUpdateEvent(token, expMonth, expYear, at) {
      const m = this.cardUpdate(token, expMonth, expYear)
      return {
        id: `evt_sbxpm_${randomBytes(8).toString('hex')}`,
        type: 'payment_method.updated',
        vendorType: 'payment_method.automatically_updated',
        objectRef: token,
        method: {
          ref: token,
          token: m.token,
          ...(m.brand ? { brand: m.brand } : {}),
          ...(m.last4 ? { last4: m.last4 } : {}),
          expMonth,
          expYear,
        },
        occurredAt: at,
      }
    },
  }
}
