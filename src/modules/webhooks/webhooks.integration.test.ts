import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { describeEachDb, freshTenant } from '../../../test/support/db.js'
import {
  startReceiver,
  verifyStandardWebhook,
  type WebhookReceiver,
} from '../../../test/support/webhook-receiver.js'
import { fixedClock } from '../../shared/clock.js'
import type { EventMessage } from '../events/index.js'
import { RETRY_DELAYS_MS } from './webhooks.js'
import { WITHHELD_BODY } from './http-sender.js'
import {
  CONSUMER_GROUP,
  createWebhooks,
  DEFAULT_WEBHOOKS_OPTIONS,
  type Webhooks,
  type WebhooksOptions,
} from './webhooks.service.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const sec = (d: Date) => Math.floor(d.getTime() / 1000)

describeEachDb('outgoing webhooks', (target) => {
  // Far in the future: a system-clock worker of another suite sharing the database never finds
  // these rows due, and each webhooks instance below works only its own tenants.
  const clock = fixedClock(new Date('2100-01-01T00:00:00Z'))
  let t: TestApp
  let rx: WebhookReceiver
  const instances: Webhooks[] = []

  beforeAll(async () => {
    t = await createTestApp(target, { clock })
    rx = await startReceiver()
  })
  afterAll(async () => {
    for (const w of instances) await w.close()
    await rx.close()
    await t.close()
  })

  /** A webhooks instance on the app's storage, crypto and events, limited to `tenants`. */
  function webhooks(tenants: readonly string[], options: Partial<WebhooksOptions> = {}): Webhooks {
    const s = t.app.services
    const w = createWebhooks({
      db: s.db.db,
      clock,
      ids: s.ids,
      logger: s.logger,
      fieldCipher: s.crypto.fieldCipher,
      catalogue: s.events.catalogue,
      outbox: s.events.outbox,
      bus: s.events.bus,
      inbox: s.events.inbox,
      options: { allowPrivate: true, allowHttp: true, keepPrivateResponseBodies: true, ...options },
      random: () => 0.5, // no jitter: delays are the schedule exactly
      workerTenants: tenants,
    })
    instances.push(w)
    return w
  }

  let seq = 0
  const event = (tenantId: string, topic: string, data: unknown = { n: seq }): EventMessage => ({
    id: `evt_${(++seq).toString(16).padStart(32, '0')}${Math.random().toString(16).slice(2, 6)}`,
    topic,
    key: 'k',
    tenantId,
    payload: data,
    occurredAt: clock.now(),
    headers: {},
    position: String(seq),
  })
  const fanOut = (w: Webhooks, messages: readonly EventMessage[]) =>
    t.app.services.events.inbox.apply(CONSUMER_GROUP, messages, async (tx, fresh) => {
      await w.fanOut(tx, fresh)
    })
  const path = () => `/hook/${++seq}`

  it('creates an endpoint with a whsec_ secret shown once and stored encrypted', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const { endpoint, secret } = await w.createEndpoint(tenant, {
      url: `${rx.url}/created`,
      eventTypes: ['payments.*', 'ledger.transaction.posted.v1'],
      description: 'orders service',
    })
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(endpoint).toMatchObject({ enabled: true, description: 'orders service', url: `${rx.url}/created` })
    expect(JSON.stringify(await w.getEndpoint(tenant, endpoint.id))).not.toContain(secret.slice(6))
    const row = await sql<{ secret_ct: Uint8Array }>`
      SELECT secret_ct FROM webhook_endpoints WHERE tenant_id = ${tenant} AND endpoint_id = ${endpoint.id}`.execute(
      t.app.services.db.db,
    )
    const stored = Buffer.from(row.rows[0]!.secret_ct)
    expect(stored.length).toBeGreaterThan(32)
    expect(stored.toString('latin1')).not.toContain(secret)
    expect(stored.includes(Buffer.from(secret.slice(6), 'base64'))).toBe(false)
  })

  it('refuses bad urls and filters with codes', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const strict = webhooks([tenant], { allowPrivate: false })
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      )
    expect(await code(w.createEndpoint(tenant, { url: 'ftp://example.com/x' }))).toBe('WEBHOOK_URL_INVALID')
    const httpsOnly = webhooks([tenant], { allowHttp: false })
    expect(await code(httpsOnly.createEndpoint(tenant, { url: 'http://example.com/x' }))).toBe(
      'WEBHOOK_URL_INSECURE',
    )
    expect(await code(httpsOnly.createEndpoint(tenant, { url: 'http://localhost:9/x' }))).toBe(
      'WEBHOOK_URL_INSECURE',
    )
    expect(await code(strict.createEndpoint(tenant, { url: 'http://127.0.0.1:9/x' }))).toBe(
      'WEBHOOK_URL_PRIVATE',
    )
    expect(await code(strict.createEndpoint(tenant, { url: 'https://10.0.0.8/x' }))).toBe(
      'WEBHOOK_URL_PRIVATE',
    )
    expect(await code(strict.createEndpoint(tenant, { url: 'http://localhost:9/x' }))).toBe(
      'WEBHOOK_URL_PRIVATE',
    )
    expect(await code(w.createEndpoint(tenant, { url: `${rx.url}/x`, eventTypes: ['payments*'] }))).toBe(
      'WEBHOOK_EVENT_TYPE_INVALID',
    )
    expect(await code(w.createEndpoint(tenant, { url: `${rx.url}/x`, eventTypes: [] }))).toBe(
      'WEBHOOK_EVENT_TYPE_INVALID',
    )
    expect(
      await code(
        w.createEndpoint(tenant, { url: `${rx.url}/x`, eventTypes: ['ledger.transaction.postd.v1'] }),
      ),
    ).toBe('WEBHOOK_EVENT_TYPE_UNKNOWN')
    expect(await w.listEndpoints(tenant)).toHaveLength(0)
  })

  it('fans each event out once per matching endpoint of its tenant, signed per Standard Webhooks', async () => {
    const a = freshTenant()
    const b = freshTenant()
    const w = webhooks([a, b])
    const [pPay, pLedger, pOff, pOther] = [path(), path(), path(), path()]
    const pay = await w.createEndpoint(a, { url: rx.url + pPay, eventTypes: ['payments.*'] })
    const led = await w.createEndpoint(a, {
      url: rx.url + pLedger,
      eventTypes: ['ledger.transaction.posted.v1'],
    })
    await w.createEndpoint(a, { url: rx.url + pOff, enabled: false })
    await w.createEndpoint(b, { url: rx.url + pOther, eventTypes: ['*'] })

    const e1 = event(a, 'payments.payment.succeeded.v1', { paymentId: 'pay_1', amount: '1050' })
    const e2 = event(a, 'ledger.transaction.posted.v1')
    const e3 = event(a, 'screening.alert.created.v1')
    expect(await fanOut(w, [e1, e2, e3])).toBe(3)
    expect(await fanOut(w, [e1, e2, e3])).toBe(0) // redelivered by the bus: no second delivery
    const stats = await w.worker.runDue()
    expect(stats).toMatchObject({ attempted: 2, delivered: 2 })

    const gotPay = rx.for(pPay)
    expect(gotPay).toHaveLength(1)
    const r = gotPay[0]!
    expect(r.headers['webhook-id']).toBe(e1.id)
    expect(r.headers['webhook-timestamp']).toBe(String(sec(clock.now())))
    expect(r.headers['content-type']).toBe('application/json')
    expect(JSON.parse(r.body)).toEqual({
      type: 'payments.payment.succeeded.v1',
      timestamp: e1.occurredAt.toISOString(),
      data: { paymentId: 'pay_1', amount: '1050' },
    })
    expect(verifyStandardWebhook(pay.secret, r, 300, sec(clock.now()))).toBe(true)
    expect(verifyStandardWebhook(led.secret, r)).toBe(false)
    expect(verifyStandardWebhook(pay.secret, { ...r, body: r.body.replace('1050', '1051') })).toBe(false)
    expect(rx.for(pLedger).map((x) => x.headers['webhook-id'])).toEqual([e2.id])
    expect(verifyStandardWebhook(led.secret, rx.for(pLedger)[0]!)).toBe(true)
    expect(rx.for(pOff)).toHaveLength(0)
    expect(rx.for(pOther)).toHaveLength(0) // tenant b's endpoint never sees tenant a's events

    const log = await w.listDeliveries(a, pay.endpoint.id)
    expect(log.deliveries).toHaveLength(1)
    expect(log.deliveries[0]).toMatchObject({
      eventId: e1.id,
      status: 'delivered',
      attempts: 1,
      lastAttempt: { attempt: 1, statusCode: 204, error: null },
    })
  })

  it('retries on the backoff schedule from the injected clock, logs each attempt, then fails', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    rx.on(p, () => ({ status: 500, body: 'x'.repeat(5000) }))
    const { endpoint } = await w.createEndpoint(tenant, { url: rx.url + p })
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    const start = clock.now().getTime()

    expect((await w.worker.runDue()).retrying).toBe(1)
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      clock.advance(delay - 1000)
      expect((await w.worker.runDue()).attempted, `not yet due before retry ${i + 1}`).toBe(0)
      clock.advance(1000)
      const s = await w.worker.runDue()
      expect(s.attempted, `retry ${i + 1}`).toBe(1)
      expect(s.failed).toBe(i === RETRY_DELAYS_MS.length - 1 ? 1 : 0)
    }
    expect((clock.now().getTime() - start) / DAY).toBeGreaterThan(3)
    expect(rx.for(p)).toHaveLength(10)
    clock.advance(7 * DAY)
    expect((await w.worker.runDue()).attempted).toBe(0)

    const [d] = (await w.listDeliveries(tenant, endpoint.id)).deliveries
    expect(d).toMatchObject({ status: 'failed', attempts: 10, nextAttemptAt: null })
    expect(d!.lastAttempt).toMatchObject({ statusCode: 500, error: 'HTTP 500' })
    expect(d!.lastAttempt!.responseBody).toHaveLength(1024)
    const detail = await w.getDelivery(tenant, d!.id)
    expect(detail.history.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(detail.history.every((a) => a.statusCode === 500 && a.latencyMs >= 0)).toBe(true)
    // The webhook-timestamp of each attempt is the attempt's time (receivers check freshness).
    const stamps = rx.for(p).map((r) => Number(r.headers['webhook-timestamp']))
    expect(stamps[1]! - stamps[0]!).toBe(5)
    expect(stamps[2]! - stamps[1]!).toBe(300)
    // Three days of failure are not yet five: the endpoint is still enabled.
    expect((await w.getEndpoint(tenant, endpoint.id)).enabled).toBe(true)
  })

  it('delivers after a transient failure and clears the failure streak', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    let calls = 0
    rx.on(p, () => (++calls <= 2 ? { status: 503 } : { status: 200, body: 'ok' }))
    const { endpoint } = await w.createEndpoint(tenant, { url: rx.url + p })
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    await w.worker.runDue()
    expect((await w.getEndpoint(tenant, endpoint.id)).failingSince).not.toBeNull()
    clock.advance(5_000)
    await w.worker.runDue()
    clock.advance(300_000)
    expect((await w.worker.runDue()).delivered).toBe(1)
    const e = await w.getEndpoint(tenant, endpoint.id)
    expect(e.failingSince).toBeNull()
    expect(e.lastSuccessAt?.getTime()).toBe(clock.now().getTime())
    const [d] = (await w.listDeliveries(tenant, endpoint.id)).deliveries
    expect(d).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastAttempt: { statusCode: 200, responseBody: 'ok' },
    })
  })

  it('treats timeouts, redirects and refused connections as failed attempts without blocking others', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant], { timeoutMs: 300 })
    const [slow, redirect, fine] = [path(), path(), path()]
    rx.on(slow, () => ({ status: 200, delayMs: 2000 }))
    rx.on(redirect, () => ({ status: 302 }))
    const eSlow = await w.createEndpoint(tenant, { url: rx.url + slow })
    const eRedirect = await w.createEndpoint(tenant, { url: rx.url + redirect })
    const eFine = await w.createEndpoint(tenant, { url: rx.url + fine })
    const eDead = await w.createEndpoint(tenant, { url: 'http://127.0.0.1:1/nothing-listens' })
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    const started = Date.now()
    const stats = await w.worker.runDue()
    expect(Date.now() - started).toBeLessThan(1500) // bounded by the 300 ms timeout, not the slow answer
    expect(stats).toMatchObject({ attempted: 4, delivered: 1, retrying: 3 })
    const last = async (id: string) => (await w.listDeliveries(tenant, id)).deliveries[0]!.lastAttempt!
    expect(await last(eSlow.endpoint.id)).toMatchObject({ statusCode: null, error: 'timeout' })
    expect(await last(eRedirect.endpoint.id)).toMatchObject({ statusCode: 302, error: 'HTTP 302' })
    expect((await last(eDead.endpoint.id)).error).toMatch(/ECONNREFUSED/)
    expect(await last(eFine.endpoint.id)).toMatchObject({ statusCode: 204 })
  })

  it('refuses private addresses at connection time when they are not allowed', async () => {
    const tenant = freshTenant()
    const open = webhooks([tenant])
    const p = path()
    const { endpoint } = await open.createEndpoint(tenant, {
      url: `http://localhost:${new URL(rx.url).port}${p}`,
    })
    const guarded = webhooks([tenant], { allowPrivate: false })
    await fanOut(guarded, [event(tenant, 'ledger.account.created.v1')])
    expect((await guarded.worker.runDue()).retrying).toBe(1)
    expect(rx.for(p)).toHaveLength(0)
    const [d] = (await guarded.listDeliveries(tenant, endpoint.id)).deliveries
    expect(d!.lastAttempt!.error).toMatch(/private address/)
  })

  it('never echoes the body of a private target, even where private targets are allowed (finding 2)', async () => {
    const tenant = freshTenant()
    // the guard is on by default: a deployment that says nothing refuses loopback
    const byDefault = webhooks([tenant], { allowPrivate: DEFAULT_WEBHOOKS_OPTIONS.allowPrivate })
    await expect(byDefault.createEndpoint(tenant, { url: `${rx.url}/x` })).rejects.toMatchObject({
      code: 'WEBHOOK_URL_PRIVATE',
    })
    const allowed = webhooks([tenant], { keepPrivateResponseBodies: false })
    const p = path()
    rx.on(p, () => ({ status: 200, body: '{"status":"ok","internal":"secret-health-detail"}' }))
    const { endpoint } = await allowed.createEndpoint(tenant, { url: rx.url + p })
    const tested = await allowed.testEndpoint(tenant, endpoint.id)
    expect(tested.lastAttempt).toMatchObject({ statusCode: 200, responseBody: WITHHELD_BODY })
    expect(JSON.stringify(await allowed.listDeliveries(tenant, endpoint.id))).not.toContain('secret-health')
  })

  it('disables an endpoint whose every attempt failed for five days and emits an event', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    let down = true
    rx.on(p, () => ({ status: down ? 500 : 204 }))
    const { endpoint } = await w.createEndpoint(tenant, { url: rx.url + p })
    const healthy = await w.createEndpoint(tenant, { url: rx.url + path() })
    const t0 = clock.now().getTime()
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    // Step through time in 1-hour ticks, one new event a day, until the endpoint gives up.
    let disabledAt: number | undefined
    for (let h = 0; h < 8 * 24 && disabledAt === undefined; h++) {
      if (h % 24 === 0) await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
      await w.worker.runDue()
      if (!(await w.getEndpoint(tenant, endpoint.id)).enabled) disabledAt = clock.now().getTime()
      else clock.advance(HOUR)
    }
    expect(disabledAt).toBeDefined()
    expect((disabledAt! - t0) / DAY).toBeGreaterThanOrEqual(5)
    expect((disabledAt! - t0) / DAY).toBeLessThan(5.5)
    const e = await w.getEndpoint(tenant, endpoint.id)
    expect(e.disabledReason).toMatch(/every delivery attempt failed since/)
    expect((await w.getEndpoint(tenant, healthy.endpoint.id)).enabled).toBe(true)
    // Its pending deliveries are cancelled, and it receives no new ones.
    const log = (await w.listDeliveries(tenant, endpoint.id, { status: 'pending' })).deliveries
    expect(log).toHaveLength(0)
    expect(
      (await w.listDeliveries(tenant, endpoint.id, { status: 'cancelled' })).deliveries.length,
    ).toBeGreaterThan(0)
    const before = rx.for(p).length
    expect(await fanOut(w, [event(tenant, 'ledger.account.created.v1')])).toBe(1) // only the healthy one
    clock.advance(HOUR)
    await w.worker.runDue()
    expect(rx.for(p)).toHaveLength(before)
    const outbox = await sql<{ topic: string; payload: { endpointId: string; failingSince: string } }>`
      SELECT topic, payload FROM event_outbox WHERE tenant_id = ${tenant}`.execute(t.app.services.db.db)
    expect(outbox.rows).toHaveLength(1)
    expect(outbox.rows[0]).toMatchObject({
      topic: 'webhooks.endpoint.disabled.v1',
      payload: { endpointId: endpoint.id, failingSince: new Date(t0).toISOString() },
    })
    // Replay is refused while disabled; enabling restarts the streak and replay delivers.
    const failed = (await w.listDeliveries(tenant, endpoint.id, { status: 'failed' })).deliveries[0]!
    await expect(w.replayDelivery(tenant, failed.id)).rejects.toMatchObject({
      code: 'WEBHOOK_ENDPOINT_DISABLED',
    })
    down = false
    const enabled = await w.enableEndpoint(tenant, endpoint.id)
    expect(enabled).toMatchObject({ enabled: true, failingSince: null, disabledReason: null })
    const replay = await w.replayDelivery(tenant, failed.id)
    expect(await w.worker.runDue()).toMatchObject({ delivered: 1 })
    expect(await w.getDelivery(tenant, replay.id)).toMatchObject({ status: 'delivered', replayOf: failed.id })
  })

  it('signs with both secrets during the rotation overlap, then only with the new one', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    const created = await w.createEndpoint(tenant, { url: rx.url + p })
    const rotated = await w.rotateSecret(tenant, created.endpoint.id)
    expect(rotated.secret).not.toBe(created.secret)
    expect(rotated.endpoint.previousSecretExpiresAt?.getTime()).toBe(clock.now().getTime() + DAY)

    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    await w.worker.runDue()
    const during = rx.for(p)[0]!
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect(verifyStandardWebhook(rotated.secret, during)).toBe(true)
    expect(verifyStandardWebhook(created.secret, during)).toBe(true)

    clock.advance(DAY + 1000)
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    await w.worker.runDue()
    const after = rx.for(p)[1]!
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1)
    expect(verifyStandardWebhook(rotated.secret, after)).toBe(true)
    expect(verifyStandardWebhook(created.secret, after)).toBe(false)

    // A custom overlap of zero drops the old secret at once.
    const again = await w.rotateSecret(tenant, created.endpoint.id, { overlapMs: 0 })
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    await w.worker.runDue()
    const third = rx.for(p)[2]!
    expect(verifyStandardWebhook(again.secret, third)).toBe(true)
    expect(verifyStandardWebhook(rotated.secret, third)).toBe(false)
  })

  it('replays a delivery with the same webhook-id and keeps tenants apart', async () => {
    const a = freshTenant()
    const b = freshTenant()
    const w = webhooks([a, b])
    const p = path()
    const { endpoint, secret } = await w.createEndpoint(a, { url: rx.url + p })
    const e = event(a, 'ledger.account.created.v1')
    await fanOut(w, [e])
    await w.worker.runDue()
    const [original] = (await w.listDeliveries(a, endpoint.id)).deliveries
    const replay = await w.replayDelivery(a, original!.id)
    expect(replay).toMatchObject({ status: 'pending', replayOf: original!.id, eventId: e.id, attempts: 0 })
    await w.worker.runDue()
    const got = rx.for(p)
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([e.id, e.id])
    expect(got[1]!.body).toBe(got[0]!.body)
    expect(verifyStandardWebhook(secret, got[1]!)).toBe(true)
    const replayOfReplay = await w.replayDelivery(a, replay.id)
    expect(replayOfReplay.replayOf).toBe(original!.id)

    // Tenant b sees none of it.
    const nf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      )
    expect(await nf(w.getEndpoint(b, endpoint.id))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
    expect(await nf(w.updateEndpoint(b, endpoint.id, { description: 'x' }))).toBe(
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    )
    expect(await nf(w.rotateSecret(b, endpoint.id))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
    expect(await nf(w.deleteEndpoint(b, endpoint.id))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
    expect(await nf(w.listDeliveries(b, endpoint.id))).toBe('WEBHOOK_ENDPOINT_NOT_FOUND')
    expect(await nf(w.replayDelivery(b, original!.id))).toBe('WEBHOOK_DELIVERY_NOT_FOUND')
    expect(await nf(w.getDelivery(b, original!.id))).toBe('WEBHOOK_DELIVERY_NOT_FOUND')
    expect(await w.listEndpoints(b)).toHaveLength(0)
    expect((await w.getEndpoint(a, endpoint.id)).description).toBe('')
  })

  it('pages the delivery log newest first', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const { endpoint } = await w.createEndpoint(tenant, { url: rx.url + path() })
    for (let i = 0; i < 5; i++) await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    const first = await w.listDeliveries(tenant, endpoint.id, { limit: 2 })
    expect(first.deliveries).toHaveLength(2)
    const second = await w.listDeliveries(tenant, endpoint.id, { limit: 2, before: first.next! })
    const third = await w.listDeliveries(tenant, endpoint.id, { limit: 2, before: second.next! })
    expect(third.deliveries).toHaveLength(1)
    expect(third.next).toBeUndefined()
    const ids = [...first.deliveries, ...second.deliveries, ...third.deliveries].map((d) => d.id)
    expect(ids).toEqual([...ids].sort().reverse())
    expect(new Set(ids).size).toBe(5)
    await expect(w.listDeliveries(tenant, endpoint.id, { before: 'nope' })).rejects.toMatchObject({
      code: 'WEBHOOK_INVALID_CURSOR',
    })
  })

  it('sends a test ping at once without touching endpoint health; delete cancels pending work', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    rx.on(p, () => ({ status: 500 }))
    const { endpoint, secret } = await w.createEndpoint(tenant, {
      url: rx.url + p,
      eventTypes: ['payments.*'],
    })
    const ping = await w.testEndpoint(tenant, endpoint.id)
    expect(ping).toMatchObject({ eventType: 'webhooks.endpoint.ping.v1', status: 'failed', attempts: 1 })
    expect(ping.lastAttempt).toMatchObject({ statusCode: 500 })
    expect(JSON.parse(rx.for(p)[0]!.body)).toMatchObject({
      type: 'webhooks.endpoint.ping.v1',
      data: { endpointId: endpoint.id },
    })
    expect(verifyStandardWebhook(secret, rx.for(p)[0]!)).toBe(true)
    expect((await w.getEndpoint(tenant, endpoint.id)).failingSince).toBeNull()

    await fanOut(w, [event(tenant, 'payments.payment.succeeded.v1')])
    await w.deleteEndpoint(tenant, endpoint.id)
    await expect(w.getEndpoint(tenant, endpoint.id)).rejects.toMatchObject({
      code: 'WEBHOOK_ENDPOINT_NOT_FOUND',
    })
    expect(await w.worker.runDue()).toMatchObject({ attempted: 0 })
    expect(rx.for(p)).toHaveLength(1)
  })

  it('secrets survive a key rotation and re-encryption; deleted endpoints keep no secret', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant])
    const p = path()
    const { endpoint } = await w.createEndpoint(tenant, { url: rx.url + p })
    const { secret } = await w.rotateSecret(tenant, endpoint.id) // both columns hold a ciphertext
    const gone = await w.createEndpoint(tenant, { url: rx.url + path() })
    await w.deleteEndpoint(tenant, gone.endpoint.id)
    const crypto = t.app.services.crypto
    await crypto.keyring.rotate('webhooks test')
    const results = await crypto.reencrypt({ tenant })
    const of = (column: string) => results.find((r) => r.field === `webhook_endpoints.${column}`)
    expect(of('secret_ct')).toMatchObject({ reencrypted: 1, remaining: 0, finished: true })
    expect(of('previous_secret_ct')).toMatchObject({ reencrypted: 1, remaining: 0, finished: true })
    const rows = await sql<{ endpoint_id: string; secret_ct: Uint8Array | null }>`
      SELECT endpoint_id, secret_ct FROM webhook_endpoints WHERE tenant_id = ${tenant}`.execute(
      t.app.services.db.db,
    )
    expect(rows.rows.find((r) => r.endpoint_id === gone.endpoint.id)?.secret_ct).toBeNull()
    // A fresh instance (empty secret cache) decrypts the re-encrypted secret and signs with it.
    const fresh = webhooks([tenant])
    await fanOut(fresh, [event(tenant, 'ledger.account.created.v1')])
    expect((await fresh.worker.runDue()).delivered).toBe(1)
    expect(verifyStandardWebhook(secret, rx.for(p)[0]!)).toBe(true)
  })

  it('purges finished deliveries and their attempts after the retention period, never pending ones', async () => {
    const tenant = freshTenant()
    const w = webhooks([tenant], { retentionMs: 30 * DAY })
    const ok = await w.createEndpoint(tenant, { url: rx.url + path() })
    const down = path()
    rx.on(down, () => ({ status: 500 }))
    const failing = await w.createEndpoint(tenant, { url: rx.url + down })
    await fanOut(w, [event(tenant, 'ledger.account.created.v1')])
    await w.worker.runDue()
    clock.advance(29 * DAY)
    expect(await w.purge()).toBe(0)
    clock.advance(2 * DAY)
    // The failing endpoint's delivery is still pending (its next attempt was due, not yet made).
    expect(await w.purge()).toBe(1)
    expect((await w.listDeliveries(tenant, ok.endpoint.id)).deliveries).toHaveLength(0)
    const [pending] = (await w.listDeliveries(tenant, failing.endpoint.id)).deliveries
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 })
    expect((await w.getDelivery(tenant, pending!.id)).history).toHaveLength(1)
    const attempts = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM webhook_attempts WHERE tenant_id = ${tenant}`.execute(
      t.app.services.db.db,
    )
    expect(attempts.rows[0]!.n).toBe(1)
  })

  it('two workers never attempt the same delivery twice', async () => {
    const tenant = freshTenant()
    const w1 = webhooks([tenant], { concurrency: 4 })
    const w2 = webhooks([tenant], { concurrency: 4 })
    const p = path()
    rx.on(p, () => ({ status: 204, delayMs: 5 }))
    await w1.createEndpoint(tenant, { url: rx.url + p })
    await fanOut(
      w1,
      Array.from({ length: 40 }, () => event(tenant, 'ledger.account.created.v1')),
    )
    const [s1, s2] = await Promise.all([w1.worker.runDue(), w2.worker.runDue()])
    expect(s1.attempted + s2.attempted).toBe(40)
    const ids = rx.for(p).map((r) => r.headers['webhook-id'])
    expect(ids).toHaveLength(40)
    expect(new Set(ids).size).toBe(40)
  })

  it(
    'consumes events from the bus and the background worker delivers them',
    { timeout: 20_000 },
    async () => {
      const tenant = freshTenant()
      const w = webhooks([tenant], { pollMs: 50 })
      const p = path()
      const { secret } = await w.createEndpoint(tenant, { url: rx.url + p, eventTypes: ['events.*'] })
      const sub = await w.startConsumer({ consumerName: `test-${tenant}` })
      w.worker.start()
      try {
        const [unwanted, elsewhere, published] = await t.app.services.events.bus.publish([
          {
            topic: 'ledger.account.created.v1',
            key: 'probe', // one key: one partition, in order, so the last one's arrival means all were handled
            tenantId: tenant,
            payload: { accountId: 'acc_1', currency: 'EUR', normalSide: 'debit' },
          },
          { topic: 'events.probe.sent.v1', key: 'probe', tenantId: freshTenant(), payload: { n: 6 } },
          { topic: 'events.probe.sent.v1', key: 'probe', tenantId: tenant, payload: { n: 7 } },
        ])
        for (let i = 0; i < 200 && rx.for(p).length === 0; i++) await new Promise((r) => setTimeout(r, 25))
        const [got] = rx.for(p)
        expect(got?.headers['webhook-id']).toBe(published!.id)
        expect(JSON.parse(got!.body)).toMatchObject({ type: 'events.probe.sent.v1', data: { n: 7 } })
        expect(verifyStandardWebhook(secret, got!)).toBe(true)
        expect(await t.app.services.events.inbox.seen(tenant, CONSUMER_GROUP, published!.id)).toBe(true)
        // Events no endpoint wants cost no inbox row and no delivery.
        expect(await t.app.services.events.inbox.seen(tenant, CONSUMER_GROUP, unwanted!.id)).toBe(false)
        expect(
          await t.app.services.events.inbox.seen(elsewhere!.tenantId, CONSUMER_GROUP, elsewhere!.id),
        ).toBe(false)
        expect(rx.for(p)).toHaveLength(1)
      } finally {
        await sub.close()
        await w.worker.stop()
      }
    },
  )
})
