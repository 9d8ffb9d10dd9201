import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, describeConfig, loadConfig } from './config.js'

const base = { MONETA_CONFIG_FILE: '' }

describe('config', () => {
  it('has working defaults: PGlite in ./.moneta on port 4000', () => {
    const c = loadConfig(base)
    expect(c.port).toBe(4000)
    expect(c.databaseUrl).toBeUndefined()
    expect(c.dataDir).toMatch(/\.moneta$/)
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('secure defaults (issue 15 findings 2 and 8): SSRF guard on, https only, no sandbox bank in production', () => {
    const dev = loadConfig(base)
    expect(dev.webhooks).toMatchObject({ allowPrivate: false, allowHttp: false })
    expect(dev.banking.sandbox).toEqual({ webhookSecret: undefined })
    const prod = loadConfig({ ...base, NODE_ENV: 'production', MONETA_API_KEY: 'k'.repeat(40) })
    expect(prod.webhooks).toMatchObject({ allowPrivate: false, allowHttp: false })
    expect(prod.banking.sandbox).toBeUndefined()
    const optedIn = loadConfig({
      ...base,
      MONETA_WEBHOOKS_ALLOW_PRIVATE: 'true',
      MONETA_BANKING_SANDBOX: 'false',
    })
    expect(optedIn.webhooks.allowPrivate).toBe(true)
    expect(optedIn.banking.sandbox).toBeUndefined()
    expect(() => loadConfig({ ...base, MONETA_SANDBOX_BANK_WEBHOOK_SECRET: 'short' })).toThrow(/at least 32/)
  })

  it('takes the webhook inbox round size (default 500) and refuses one outside 1..5000', () => {
    expect(loadConfig(base).gatewayWebhooks.claimBatch).toBe(500)
    expect(
      loadConfig({ ...base, MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH: '250' }).gatewayWebhooks.claimBatch,
    ).toBe(250)
    expect(() => loadConfig({ ...base, MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH: '0' })).toThrow(
      /MONETA_GATEWAY_WEBHOOK_CLAIM_BATCH/,
    )
  })

  it('trains risk models in a worker thread unless told process, and refuses anything else', () => {
    expect(loadConfig(base).risk.trainIn).toBe('worker')
    expect(loadConfig({ ...base, MONETA_RISK_TRAIN_IN: 'process' }).risk.trainIn).toBe('process')
    expect(() => loadConfig({ ...base, MONETA_RISK_TRAIN_IN: 'thread' })).toThrow(/MONETA_RISK_TRAIN_IN/)
  })

  it('keeps three shadow models per tenant unless told 1–20', () => {
    expect(loadConfig(base).risk.maxShadows).toBe(3)
    expect(loadConfig({ ...base, MONETA_RISK_MAX_SHADOWS: '1' }).risk.maxShadows).toBe(1)
    expect(() => loadConfig({ ...base, MONETA_RISK_MAX_SHADOWS: '0' })).toThrow(/MONETA_RISK_MAX_SHADOWS/)
  })

  it('collects every problem with a message that says what to fix', () => {
    try {
      loadConfig({
        ...base,
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        MONETA_API_KEY: 'short',
      })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      const problems = (e as ConfigError).problems.join('\n')
      expect(problems).toMatch(/PORT must be a whole number/)
      expect(problems).toMatch(/DATABASE_URL must start with postgres/)
      expect(problems).toMatch(/LOG_LEVEL must be one of/)
      expect(problems).toMatch(/MONETA_API_KEY must be at least 24/)
    }
  })

  it('never prints secrets', () => {
    const c = loadConfig({
      ...base,
      MONETA_API_KEY: 'super-secret-value-123456789',
      DATABASE_URL: 'postgres://u:pw@h/db',
    })
    expect(c.apiKey?.reveal()).toBe('super-secret-value-123456789')
    const printed = [String(c.apiKey), JSON.stringify(c), inspect(c), JSON.stringify(describeConfig(c))].join(
      ' ',
    )
    expect(printed).not.toContain('super-secret')
    expect(JSON.stringify(describeConfig(c))).not.toContain(':pw@')
  })

  it('picks the event bus and refuses one that lacks its connection', () => {
    expect(loadConfig(base).eventBus).toBe('memory')
    expect(loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379' }).eventBus).toBe('redis')
    const kafka = loadConfig({ ...base, MONETA_EVENT_BUS: 'kafka', MONETA_KAFKA_BROKERS: 'a:9092, b:9092' })
    expect(kafka.kafkaBrokers).toEqual(['a:9092', 'b:9092'])
    expect(() => loadConfig({ ...base, MONETA_EVENT_BUS: 'kafka' })).toThrow(/needs MONETA_KAFKA_BROKERS/)
    expect(() => loadConfig({ ...base, MONETA_EVENT_BUS: 'redis' })).toThrow(/needs REDIS_URL/)
    expect(() => loadConfig({ ...base, MONETA_EVENT_BUS: 'rabbit' })).toThrow(/memory, redis or kafka/)
  })

  it('takes a Redis key prefix per deployment (default moneta) and refuses a malformed one', () => {
    expect(loadConfig(base).redisPrefix).toBe('moneta')
    expect(loadConfig({ ...base, MONETA_REDIS_PREFIX: 'moneta-eu:tenants-a' }).redisPrefix).toBe(
      'moneta-eu:tenants-a',
    )
    for (const bad of ['with space', 'trailing:', 'x'.repeat(65), '{hash}'])
      expect(() => loadConfig({ ...base, MONETA_REDIS_PREFIX: bad })).toThrow(/MONETA_REDIS_PREFIX/)
  })

  it('refuses a missing config file that was asked for', () => {
    expect(() => loadConfig({ MONETA_CONFIG_FILE: '/nonexistent/moneta.json' })).toThrow(/does not exist/)
  })
})
