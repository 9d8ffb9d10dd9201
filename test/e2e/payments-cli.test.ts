import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { DEFAULT_TENANT } from '../../src/modules/platform/index.js'
import { monetaCli } from '../support/cli.js'
import { makeStrayCharge } from '../support/stray-charges.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-payments-'))
const data = join(dir, 'data')
const moneta = monetaCli({ MONETA_DATA_DIR: data })

// Each command starts a process that opens and migrates the embedded database: slow on a busy machine.
describe('moneta payments (embedded PGlite)', { timeout: 240_000 }, () => {
  let paymentId = ''
  let stray: Awaited<ReturnType<typeof makeStrayCharge>>
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
      // A stray charge the sweeper cannot refund (refunded in the gateway's dashboard first): failed,
      // an operator's to mark. Made here because the sandbox keeps its charges in this process only.
      stray = await makeStrayCharge({ app: { services: s }, tenantId: DEFAULT_TENANT }, 700n, true)
      await s.payments.sweeper.sweep({ tenants: [DEFAULT_TENANT] })
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
    expect(list.out).toMatch(/3 payment\(s\)/)
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

  it('lists stray charges and marks a failed one reversed by hand, once, audited as the operator', async () => {
    const failed = await moneta('payments', 'stray-charges', '--status', 'failed', '--json')
    expect(failed.code, failed.err).toBe(0)
    const [charge] = JSON.parse(failed.out) as { id: string; paymentId: string; status: string }[]
    expect(charge).toMatchObject({ paymentId: stray.paymentId, status: 'failed', amount: '700' })
    const id = charge!.id
    const resolve = (...extra: string[]) => moneta('payments', 'resolve-stray', id, ...extra)

    const noRef = await resolve('--reversal', 'refunded', '--note', 'refunded in the dashboard')
    expect(noRef.code).not.toBe(0)
    expect(noRef.err).toMatch(/INVALID_REVERSAL_REF/)
    const badFee = await resolve('--reversal', 'refunded', '--ref', 'r', '--note', 'x', '--fee', '0.21')
    expect(badFee.err).toMatch(/CLI_INVALID_ARGUMENT/)
    const badKind = await resolve('--reversal', 'written_off', '--note', 'x')
    expect(badKind.err).toMatch(/CLI_INVALID_ARGUMENT/)
    const nobody = await resolve('--reversal', 'canceled', '--note', 'x', '--as', 'nobody@example.com')
    expect(nobody.err).toMatch(/CLI_INVALID_ARGUMENT.*nobody@example.com/s)
    expect(JSON.parse((await moneta('payments', 'stray-charges', '--json')).out)).toMatchObject([
      { id, status: 'failed' },
    ])

    const op = await moneta('operators', 'create', '--email', 'ops@example.com', '--role', 'admin')
    expect(op.code, op.err).toBe(0)
    const args = [
      '--reversal',
      'refunded',
      '--ref',
      stray.refundedByHand!,
      '--note',
      'refunded in the dashboard',
    ]
    const done = await resolve(...args, '--fee', '21', '--as', 'ops@example.com')
    expect(done.code, done.err).toBe(0)
    expect(done.out).toMatch(
      new RegExp(
        `${id} +reversed +700 USD .*fee kept 21 .*resolved by operator:\\S+: refunded in the dashboard`,
      ),
    )
    const again = await resolve(...args)
    expect(again.err).toMatch(/STRAY_CHARGE_NOT_FAILED/)
    expect((await moneta('payments', 'stray-charges', '--status', 'failed')).out).toMatch(
      /^0 stray charge\(s\)/m,
    )
    const unknown = await moneta('payments', 'stray-charges', '--status', 'lost')
    expect(unknown.err).toMatch(/CLI_INVALID_ARGUMENT/)

    // The operator's resolution is in the audit log, and the hand refund keeps the ledger whole.
    const s = await createServices(
      loadConfig({ MONETA_DATA_DIR: data, MONETA_CONFIG_FILE: '', LOG_LEVEL: 'silent' }),
      { logger: pino({ level: 'silent' }) },
    )
    try {
      // The CLI's audit entries were written with the change (the audit intake); the log takes them in.
      await s.audit.flush()
      const entries = (await s.audit.entries(DEFAULT_TENANT, 0, 10_000))
        .map((e) => e.entry)
        .filter((e) => e?.action === 'payments.stray_charge.resolved')
      expect(entries.map((e) => [/^operator:/.test(e?.actor ?? ''), e?.origin])).toEqual([[true, 'cli']])
      expect((await s.ledger.verify(DEFAULT_TENANT)).ok).toBe(true)
    } finally {
      await s.ledger.close()
      await s.db.close()
    }
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
