import { systemClock } from '../../../../shared/clock.js'
import { runSavedMethodsContract } from '../../saved-methods.contract.js'
import { createSandboxSavedMethods } from './sandbox.saved-methods.js'

runSavedMethodsContract({
  name: 'sandbox',
  setup: () =>
    Promise.resolve({
      gateway: createSandboxSavedMethods({ clock: systemClock }),
      currency: 'USD',
      methods: { card: 'pm_card_visa', paypal: 'pm_paypal', refused: 'pm_card_verification_fails' },
      insufficientFunds: { method: 'pm_card_insufficient_funds', amount: 1250n },
      authenticationRequired: 'pm_card_authentication_required',
      close: () => Promise.resolve(),
    }),
})
