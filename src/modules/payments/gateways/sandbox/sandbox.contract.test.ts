/** The gateway contract against the built-in sandbox (no vendor, deterministic). */
import { randomBytes } from 'node:crypto'
import { runGatewayContract } from '../../gateway.contract.js'
import { createSandboxGateway } from './sandbox.js'

runGatewayContract({
  name: 'sandbox',
  setup() {
    const secret = 'whsec_' + randomBytes(24).toString('base64')
    const sandbox = createSandboxGateway({ webhookSecret: secret })
    return Promise.resolve({
      gateway: sandbox,
      currency: 'USD',
      methods: {
        ok: 'pm_card_visa',
        declined: 'pm_card_declined',
        insufficientFunds: 'pm_card_insufficient_funds',
        requiresAction: 'pm_card_3ds',
        unavailable: 'pm_card_unavailable',
        timeout: 'pm_card_timeout',
      },
      declineCodes: { declined: 'generic_decline', insufficientFunds: 'insufficient_funds' },
      idempotentAuthorize: true,
      settlesImmediately: true,
      signedWebhook(_kind, payment, at) {
        const event = sandbox.events.find(
          (e) => e.type === 'payment.captured' && e.paymentRef === payment.gatewayRef,
        )
        if (!event) throw new Error(`the sandbox emitted no payment.captured for ${payment.gatewayRef}`)
        const { body, headers } = sandbox.webhookFor(event, at)
        return Promise.resolve({ rawBody: Buffer.from(body), headers })
      },
      close: () => Promise.resolve(),
    })
  },
})
