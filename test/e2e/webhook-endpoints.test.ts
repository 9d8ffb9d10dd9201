import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { startReceiver, verifyStandardWebhook, type WebhookReceiver } from '../support/webhook-receiver.js'

interface EndpointJson {
  id: string
  url: string
  eventTypes: string[]
  enabled: boolean
  description: string
  secret?: string
  disabledReason: string | null
  previousSecretExpiresAt: string | null
}
interface DeliveryJson {
  id: string
  eventId: string
  eventType: string
  status: string
  attempts: number
  replayOf: string | null
  lastAttempt: {
    statusCode: number | null
    latencyMs: number
    error: string | null
    responseBody: string | null
  } | null
}

/** Outgoing webhooks over HTTP, with the app's own workers (relay, fan-out consumer, delivery worker). */
for (const target of testDbTargets()) {
  describe(`webhook endpoints API [${target.name}]`, () => {
    let t: TestApp
    let rx: WebhookReceiver
    let other: { tenantId: string; apiKey: string }
    beforeAll(async () => {
      // the receiver listens on loopback over plain http: both must be switched on by name
      t = await createTestApp(target, {
        ownDatabase: true,
        env: { MONETA_WEBHOOKS_ALLOW_PRIVATE: 'true', MONETA_WEBHOOKS_ALLOW_HTTP: 'true' },
      })
      t.app.startWorkers()
      rx = await startReceiver()
      other = await t.newTenant()
    })
    afterAll(async () => {
      await t.close()
      await rx.close()
    })

    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, key?: string) =>
      t.app.server.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${key ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
    const waitFor = async <T>(
      probe: () => T | undefined | Promise<T | undefined>,
      what: string,
    ): Promise<T> => {
      for (let i = 0; i < 300; i++) {
        const v = await probe()
        if (v !== undefined) return v
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`timed out waiting for ${what}`)
    }

    it('creates, reads, updates and deletes endpoints; the secret is shown once', async () => {
      const created = await call('POST', '/v1/webhook-endpoints', {
        url: `${rx.url}/crud`,
        eventTypes: ['ledger.*'],
        description: 'books',
      })
      expect(created.statusCode).toBe(201)
      const e = created.json<EndpointJson>()
      expect(e.secret).toMatch(/^whsec_/)
      expect(e).toMatchObject({ eventTypes: ['ledger.*'], enabled: true, description: 'books' })

      const got = await call('GET', `/v1/webhook-endpoints/${e.id}`)
      expect(got.statusCode).toBe(200)
      expect(got.json<EndpointJson>().secret).toBeUndefined()
      expect(got.body).not.toContain(e.secret!.slice(6))
      const list = (await call('GET', '/v1/webhook-endpoints')).json<{ data: EndpointJson[] }>()
      expect(list.data.map((x) => x.id)).toContain(e.id)
      expect(JSON.stringify(list)).not.toContain(e.secret!.slice(6))

      const patched = await call('PATCH', `/v1/webhook-endpoints/${e.id}`, {
        eventTypes: ['ledger.account.created.v1'],
        enabled: false,
      })
      expect(patched.statusCode).toBe(200)
      expect(patched.json<EndpointJson>()).toMatchObject({
        eventTypes: ['ledger.account.created.v1'],
        enabled: false,
        disabledReason: 'manual',
      })
      const enabled = await call('POST', `/v1/webhook-endpoints/${e.id}/enable`)
      expect(enabled.json<EndpointJson>()).toMatchObject({ enabled: true, disabledReason: null })

      expect((await call('DELETE', `/v1/webhook-endpoints/${e.id}`)).statusCode).toBe(204)
      const gone = await call('GET', `/v1/webhook-endpoints/${e.id}`)
      expect(gone.statusCode).toBe(404)
      expect(gone.json<{ error: { code: string } }>().error.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
      expect((await call('DELETE', `/v1/webhook-endpoints/${e.id}`)).statusCode).toBe(404)
    })

    it('answers bad input with 4xx and a stable code', async () => {
      const cases: [string, 'GET' | 'POST' | 'PATCH', string, unknown, number, string][] = [
        ['no url', 'POST', '/v1/webhook-endpoints', {}, 400, 'VALIDATION_ERROR'],
        [
          'unknown field',
          'POST',
          '/v1/webhook-endpoints',
          { url: `${rx.url}/x`, foo: 1 },
          400,
          'VALIDATION_ERROR',
        ],
        ['not a url', 'POST', '/v1/webhook-endpoints', { url: 'hello' }, 400, 'WEBHOOK_URL_INVALID'],
        ['ftp', 'POST', '/v1/webhook-endpoints', { url: 'ftp://example.com/x' }, 400, 'WEBHOOK_URL_INVALID'],
        // (plain http is allowed here for the loopback receiver; WEBHOOK_URL_INSECURE is pinned in
        // webhooks.integration.test.ts and by `moneta attack`'s webhook-ssrf check)
        [
          'bad filter',
          'POST',
          '/v1/webhook-endpoints',
          { url: `${rx.url}/x`, eventTypes: ['pay ments'] },
          400,
          'WEBHOOK_EVENT_TYPE_INVALID',
        ],
        [
          'unknown event',
          'POST',
          '/v1/webhook-endpoints',
          { url: `${rx.url}/x`, eventTypes: ['ledger.account.deleted.v1'] },
          400,
          'WEBHOOK_EVENT_TYPE_UNKNOWN',
        ],
        [
          'empty filters',
          'POST',
          '/v1/webhook-endpoints',
          { url: `${rx.url}/x`, eventTypes: [] },
          400,
          'VALIDATION_ERROR',
        ],
        ['malformed id', 'GET', '/v1/webhook-endpoints/nope', undefined, 400, 'VALIDATION_ERROR'],
        [
          'unknown id',
          'GET',
          `/v1/webhook-endpoints/whep_${'0'.repeat(32)}`,
          undefined,
          404,
          'WEBHOOK_ENDPOINT_NOT_FOUND',
        ],
        ['empty patch', 'PATCH', `/v1/webhook-endpoints/whep_${'0'.repeat(32)}`, {}, 400, 'VALIDATION_ERROR'],
        [
          'overlap too long',
          'POST',
          `/v1/webhook-endpoints/whep_${'0'.repeat(32)}/rotate-secret`,
          { overlapSeconds: 8 * 86_400 },
          400,
          'VALIDATION_ERROR',
        ],
        [
          'unknown delivery',
          'POST',
          `/v1/webhook-deliveries/whdl_${'0'.repeat(32)}/replay`,
          undefined,
          404,
          'WEBHOOK_DELIVERY_NOT_FOUND',
        ],
      ]
      for (const [name, method, url, body, status, code] of cases) {
        const res = await call(method, url, body)
        expect(res.statusCode, name).toBe(status)
        expect(res.json<{ error: { code: string } }>().error.code, name).toBe(code)
      }
      const { data } = (await call('GET', '/v1/webhook-endpoints')).json<{ data: EndpointJson[] }>()
      expect(data.filter((e) => e.url.endsWith('/x'))).toHaveLength(0)
      expect((await call('GET', '/v1/webhook-endpoints', undefined, 'wrong-key')).statusCode).toBe(401)
    })

    it(
      'delivers a ledger event signed, logs it, pings, replays and rotates — and no other tenant can touch it',
      { timeout: 60_000 },
      async () => {
        const e = (
          await call('POST', '/v1/webhook-endpoints', {
            url: `${rx.url}/flow`,
            eventTypes: ['ledger.account.*'],
          })
        ).json<EndpointJson>()
        const theirs = (
          await call('POST', '/v1/webhook-endpoints', { url: `${rx.url}/theirs` }, other.apiKey)
        ).json<EndpointJson>()

        const account = await call('POST', '/v1/accounts', { currency: 'EUR', normalSide: 'debit' })
        expect(account.statusCode).toBe(201)
        const accountId = account.json<{ id: string }>().id
        const first = await waitFor(() => rx.for('/flow')[0], 'the ledger event')
        expect(verifyStandardWebhook(e.secret!, first, 300, Math.floor(Date.now() / 1000))).toBe(true)
        expect(JSON.parse(first.body)).toMatchObject({
          type: 'ledger.account.created.v1',
          data: { accountId },
        })
        expect(rx.for('/theirs')).toHaveLength(0)

        const log = await waitFor(async () => {
          const page = (await call('GET', `/v1/webhook-endpoints/${e.id}/deliveries`)).json<{
            data: DeliveryJson[]
          }>()
          return page.data[0]?.status === 'delivered' ? page.data : undefined
        }, 'the delivery log')
        expect(log).toHaveLength(1)
        expect(log[0]).toMatchObject({
          eventId: first.headers['webhook-id'],
          attempts: 1,
          lastAttempt: { statusCode: 204 },
        })

        const ping = await call('POST', `/v1/webhook-endpoints/${e.id}/test`)
        expect(ping.statusCode).toBe(200)
        expect(ping.json<DeliveryJson>()).toMatchObject({
          eventType: 'webhooks.endpoint.ping.v1',
          status: 'delivered',
        })
        expect(rx.for('/flow')).toHaveLength(2)

        const replay = await call('POST', `/v1/webhook-deliveries/${log[0]!.id}/replay`)
        expect(replay.statusCode).toBe(202)
        expect(replay.json<DeliveryJson>()).toMatchObject({ replayOf: log[0]!.id, status: 'pending' })
        const again = await waitFor(() => rx.for('/flow')[2], 'the replay')
        expect(again.headers['webhook-id']).toBe(first.headers['webhook-id'])
        const detail = await waitFor(async () => {
          const d = (await call('GET', `/v1/webhook-deliveries/${replay.json<DeliveryJson>().id}`)).json<
            DeliveryJson & { history: unknown[] }
          >()
          return d.status === 'delivered' ? d : undefined
        }, 'the replay to be logged')
        expect(detail.history).toHaveLength(1)

        const rotated = await call('POST', `/v1/webhook-endpoints/${e.id}/rotate-secret`, {
          overlapSeconds: 3600,
        })
        expect(rotated.statusCode).toBe(200)
        const newSecret = rotated.json<EndpointJson>().secret!
        expect(newSecret).not.toBe(e.secret)
        await call('POST', '/v1/accounts', { currency: 'EUR', normalSide: 'credit' })
        const fourth = await waitFor(() => rx.for('/flow')[3], 'a delivery after rotation')
        expect(String(fourth.headers['webhook-signature']).split(' ')).toHaveLength(2)
        expect(verifyStandardWebhook(newSecret, fourth)).toBe(true)
        expect(verifyStandardWebhook(e.secret!, fourth)).toBe(true)

        // The other tenant gets 404 for every id of this one, and this one for theirs.
        const deliveryId = log[0]!.id
        for (const [method, url, body] of [
          ['GET', `/v1/webhook-endpoints/${e.id}`],
          ['PATCH', `/v1/webhook-endpoints/${e.id}`, { description: 'mine now' }],
          ['DELETE', `/v1/webhook-endpoints/${e.id}`],
          ['POST', `/v1/webhook-endpoints/${e.id}/rotate-secret`],
          ['POST', `/v1/webhook-endpoints/${e.id}/enable`],
          ['POST', `/v1/webhook-endpoints/${e.id}/test`],
          ['GET', `/v1/webhook-endpoints/${e.id}/deliveries`],
          ['GET', `/v1/webhook-deliveries/${deliveryId}`],
          ['POST', `/v1/webhook-deliveries/${deliveryId}/replay`],
        ] as const) {
          const res = await call(method, url, body, other.apiKey)
          expect(res.statusCode, `${method} ${url}`).toBe(404)
        }
        expect((await call('GET', `/v1/webhook-endpoints/${theirs.id}`)).statusCode).toBe(404)
        expect(
          (await call('GET', '/v1/webhook-endpoints', undefined, other.apiKey))
            .json<{ data: EndpointJson[] }>()
            .data.map((x) => x.id),
        ).toEqual([theirs.id])
        expect(rx.for('/flow')).toHaveLength(4)
        expect((await call('GET', `/v1/webhook-endpoints/${e.id}`)).json<EndpointJson>().description).toBe('')
      },
    )
  })
}
