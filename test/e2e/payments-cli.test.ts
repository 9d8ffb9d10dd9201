import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { DEFAULT_TENANT } from '../../src/modules/platform/index.js'
import { monetaCli } from '../support/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-payments-'))
const data = join(dir, 'data')
const moneta = monetaCli({ MONETA_DATA_DIR: data })

// Each command starts a process that opens and migrates the embedded database: slow on a busy machine.
describe('moneta payments (embedded PGlite)', { timeout: 240_000 }, () => {
  let paymentId = ''
  beforeAll(async () => {
    // Payments made through the services on the same data directory, then the process exits.
    const s = await createServices(
      loadConfig({ MONETA_DATA_DIR: data, MONETA_CONFIG_FILE: '', LOG_LEVEL: 'silent' }),
      {
        logger: pino({ level: 'silent' }),
      },
    )
    try {
      const p = await s.payments.commands.create(DEFAULT_TENANT, {
        amount: 2500n,
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
      })
      await s.payments.commands.refund(DEFAULT_TENANT, p.id, { amount: 500n })
      await s.payments.commands.create(DEFAULT_TENANT, {
        amount: 90n,
        currency: 'USD',
        paymentMethod: 'pm_card_declined',
      })
      paymentId = p.id
    } finally {
      await s.ledger.close()
      await s.db.close()
    }
  }, 240_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists and shows payments with their refunds and attempts', async () => {
    const list = await moneta('payments', 'list')
    expect(list.code).toBe(0)
    expect(list.out).toMatch(
      new RegExp(`${paymentId} +succeeded +2500 USD +captured=2500 refunded=500 +sandbox`),
    )
    expect(list.out).toMatch(/2 payment\(s\)/)
    const failed = await moneta('payments', 'list', '--status', 'failed', '--json')
    expect(JSON.parse(failed.out)).toMatchObject([{ status: 'failed', declineCode: 'generic_decline' }])
    const got = await moneta('payments', 'get', paymentId)
    expect(JSON.parse(got.out)).toMatchObject({
      id: paymentId,
      amountRefunded: '500',
      refunds: [{ amount: '500', status: 'succeeded' }],
      attempts: [{ gateway: 'sandbox', outcome: 'sent' }],
    })
    const bad = await moneta('payments', 'list', '--status', 'paid')
    expect(bad.code).not.toBe(0)
  })

  it('sets and shows routing rules from a file, refusing an unknown gateway', async () => {
    const file = join(dir, 'rules.json')
    writeFileSync(
      file,
      JSON.stringify({
        rules: [
          {
            id: 'eur',
            priority: 1,
            match: { currencies: ['EUR'], minAmount: '100' },
            gateways: [{ gateway: 'sandbox', weight: 1 }],
          },
        ],
      }),
    )
    const set = await moneta('payments', 'routing', 'set', file)
    expect(set.out).toMatch(/1 rule\(s\) set/)
    const got = await moneta('payments', 'routing', 'get')
    expect(JSON.parse(got.out)).toMatchObject({ rules: [{ id: 'eur', match: { minAmount: '100' } }] })
    writeFileSync(
      file,
      JSON.stringify({
        rules: [{ id: 'x', priority: 1, match: {}, gateways: [{ gateway: 'nope', weight: 1 }] }],
      }),
    )
    const refused = await moneta('payments', 'routing', 'set', file)
    expect(refused.code).not.toBe(0)
    expect(refused.err).toMatch(/PAYMENT_ROUTING_RULE_INVALID|not configured/)
  })
})
