import { describe, expect, it } from 'vitest'
import { ConfigError, describeConfig, loadConfig } from './config.js'

const base = { MONETA_CONFIG_FILE: '' }
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...base, ...env })
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  }
  return []
}

describe('config: vendor gateways and reconciliation', () => {
  it('nothing set: no Stripe, no Braintree, no scheduled reconciliation', () => {
    const c = loadConfig(base)
    expect(c.payments.stripe).toBeUndefined()
    expect(c.payments.braintree).toBeUndefined()
    expect(c.payments.reconcileIntervalMs).toBeUndefined()
  })

  it('Stripe and Braintree keys are read, secrets wrapped and redacted', () => {
    const c = loadConfig({
      ...base,
      MONETA_STRIPE_SECRET_KEY: 'sk_test_abc123',
      MONETA_STRIPE_WEBHOOK_SECRET: 'whsec_xyz',
      MONETA_STRIPE_API_URL: 'http://127.0.0.1:12111',
      MONETA_BRAINTREE_MERCHANT_ID: 'm1',
      MONETA_BRAINTREE_PUBLIC_KEY: 'pub',
      MONETA_BRAINTREE_PRIVATE_KEY: 'very-private',
      MONETA_RECONCILE_INTERVAL_MS: '3600000',
    })
    expect(c.payments.stripe?.secretKey.reveal()).toBe('sk_test_abc123')
    expect(c.payments.stripe?.apiUrl).toBe('http://127.0.0.1:12111')
    expect(c.payments.braintree).toMatchObject({ merchantId: 'm1', publicKey: 'pub', environment: 'sandbox' })
    expect(c.payments.reconcileIntervalMs).toBe(3_600_000)
    const printed = JSON.stringify(describeConfig(c))
    expect(printed).not.toContain('sk_test_abc123')
    expect(printed).not.toContain('very-private')
    expect(printed).not.toContain('whsec_xyz')
  })

  it('refuses malformed keys, half a Braintree setup, bad environments, URLs and intervals', () => {
    expect(problems({ MONETA_STRIPE_SECRET_KEY: 'pk_test_publishable' })[0]).toMatch(
      /MONETA_STRIPE_SECRET_KEY/,
    )
    expect(
      problems({ MONETA_STRIPE_SECRET_KEY: 'sk_test_1', MONETA_STRIPE_WEBHOOK_SECRET: 'nope' })[0],
    ).toMatch(/MONETA_STRIPE_WEBHOOK_SECRET/)
    expect(problems({ MONETA_STRIPE_API_URL: 'localhost:12111' })[0]).toMatch(/MONETA_STRIPE_API_URL/)
    expect(problems({ MONETA_BRAINTREE_MERCHANT_ID: 'm1' })[0]).toMatch(/Braintree needs all of/)
    expect(problems({ MONETA_BRAINTREE_ENVIRONMENT: 'qa' })[0]).toMatch(/MONETA_BRAINTREE_ENVIRONMENT/)
    expect(problems({ MONETA_RECONCILE_INTERVAL_MS: '10' })[0]).toMatch(/MONETA_RECONCILE_INTERVAL_MS/)
  })
})
