import { randomBytes } from 'node:crypto'
import type { BankingConfig } from './config.js'
import {
  createBanking,
  createPlaidProvider,
  createSandboxProvider,
  createTellerProvider,
  createSandboxRail,
  type Banking,
  type BankingDeps,
  type BankDataProvider,
  type ProviderName,
} from './modules/banking/index.js'

/**
 * Part of the composition root: picks the bank data adapters from config. The sandbox is there
 * outside production (demo, `npm start`); Plaid and Teller join when their credentials are set.
 */
export function createBankingServices(
  config: BankingConfig,
  deps: Omit<BankingDeps, 'providers' | 'defaultProvider' | 'rail' | 'publicUrl' | 'pollAfterMs'>,
): Banking {
  const providers: Partial<Record<ProviderName, BankDataProvider>> = {}
  if (config.sandbox) {
    providers.sandbox = createSandboxProvider({
      // per deployment; without one configured, per process (nobody outside can sign a webhook)
      webhookSecret: config.sandbox.webhookSecret?.reveal() ?? randomBytes(32).toString('hex'),
    })
  }
  if (config.plaid) {
    providers.plaid = createPlaidProvider({
      clientId: config.plaid.clientId,
      secret: config.plaid.secret.reveal(),
      env: config.plaid.env,
      ...(config.plaid.apiUrl ? { basePath: config.plaid.apiUrl } : {}),
    })
  }
  if (config.teller) {
    providers.teller = createTellerProvider({
      certFile: config.teller.certFile,
      keyFile: config.teller.keyFile,
      apiUrl: config.teller.apiUrl,
      ...(config.teller.caFile ? { caFile: config.teller.caFile } : {}),
      ...(config.teller.signingSecret ? { signingSecret: config.teller.signingSecret.reveal() } : {}),
    })
  }
  return createBanking({
    ...deps,
    providers,
    defaultProvider: config.defaultProvider,
    rail: createSandboxRail(),
    pollAfterMs: config.pollMs,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  })
}
