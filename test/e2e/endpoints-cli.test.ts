import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { DEFAULT_TENANT } from '../../src/modules/platform/index.js'
import { CONSUMER_GROUP } from '../../src/modules/webhooks/index.js'
import { monetaCli } from '../support/cli.js'

/** `moneta endpoints …` against an embedded install holding one endpoint and one delivery. */
describe('moneta endpoints (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-endpoints-cli-'))
  // The endpoint is a loopback http URL: allowed only by explicit configuration since the SSRF guard is on by default.
  const allowLoopback = { MONETA_WEBHOOKS_ALLOW_PRIVATE: 'true', MONETA_WEBHOOKS_ALLOW_HTTP: 'true' }
  const cli = monetaCli({
    MONETA_DATA_DIR: dir,
    MONETA_MASTER_KEY: '',
    MONETA_MASTER_KEY_FILE: '',
    ...allowLoopback,
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists endpoints and deliveries, replays, and refuses bad arguments', { timeout: 400_000 }, async () => {
    const s = await createServices(
      loadConfig({ MONETA_DATA_DIR: dir, MONETA_CONFIG_FILE: '', ...allowLoopback }),
      {
        logger: pino({ level: 'silent' }),
      },
    )
    const { endpoint } = await s.webhooks.createEndpoint(DEFAULT_TENANT, {
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['ledger.*'],
    })
    await s.events.inbox.apply(
      CONSUMER_GROUP,
      [
        {
          id: 'evt_0000000000000000000000000000cli1',
          topic: 'ledger.account.created.v1',
          key: 'k',
          tenantId: DEFAULT_TENANT,
          payload: { accountId: 'acc_1', currency: 'EUR', normalSide: 'debit' },
          occurredAt: new Date(),
          headers: {},
          position: '1',
        },
      ],
      async (tx, fresh) => {
        await s.webhooks.fanOut(tx, fresh)
      },
    )
    await s.ledger.close()
    await s.db.close()

    const list = await cli('endpoints', 'list')
    expect(list.code).toBe(0)
    expect(list.out).toContain(endpoint.id)
    expect(list.out).toContain('[ledger.*]')

    const log = await cli('endpoints', 'deliveries', endpoint.id, '--json')
    expect(log.code).toBe(0)
    const [delivery] = log.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; status: string; eventId: string })
    expect(delivery).toMatchObject({ status: 'pending', eventId: 'evt_0000000000000000000000000000cli1' })

    const replay = await cli('endpoints', 'replay', delivery!.id)
    expect(replay.code).toBe(0)
    expect(replay.out).toContain(`replay of ${delivery!.id}`)

    const badStatus = await cli('endpoints', 'deliveries', endpoint.id, '--status', 'lost')
    expect(badStatus.code).not.toBe(0)
    expect(badStatus.err + badStatus.out).toContain('--status must be one of')
    const unknown = await cli('endpoints', 'replay', `whdl_${'0'.repeat(32)}`)
    expect(unknown.code).not.toBe(0)
    expect(unknown.err + unknown.out).toContain('WEBHOOK_DELIVERY_NOT_FOUND')
  })
})
