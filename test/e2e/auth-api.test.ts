import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_FAILED_MESSAGE, stepAt, totpCode } from '../../src/modules/auth/index.js'
import { fixedClock } from '../../src/shared/clock.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'
import { testRedisUrl } from '../support/redis.js'

const PASSWORD = 'violet-otter-harbour-42'

/** Access over HTTP: operators, MFA, lockout, roles, API key scopes and rotation, sessions, rate limits. */
describeEachDb('auth API (e2e)', (target) => {
  const clock = fixedClock(new Date('2026-03-01T09:00:00Z'))
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, { clock })
  }, 180_000) // a whole app (or database) under a loaded CI machine
  afterAll(async () => t.close())

  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    opts: { token?: string; body?: unknown; ip?: string } = {},
  ) =>
    t.app.server.inject({
      method,
      url,
      remoteAddress: opts.ip ?? '203.0.113.1',
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
    })
  const email = () => `${newId('op')}@example.com`
  const createOperator = async (role: string, address = email()) => {
    const r = await call('POST', '/v1/operators', {
      token: t.apiKey,
      body: { email: address, password: PASSWORD, role },
    })
    expect(r.statusCode).toBe(201)
    return r.json<{ id: string; email: string; role: string; mfaEnrolled: boolean }>()
  }
  const login = (body: Record<string, string>, ip = '203.0.113.1') =>
    call('POST', '/v1/auth/login', { body, ip })
  const nextStep = () => clock.advance(30_000)
  const codeNow = (secret: string) => totpCode(secret, stepAt(clock.now()))

  /** An operator with MFA active; returns its secret and a live session token. */
  const enrolled = async (role: string, ip: string) => {
    const op = await createOperator(role)
    const first = await login({ email: op.email, password: PASSWORD }, ip)
    expect(first.statusCode).toBe(200)
    const limited = first.json<{ token: string; mfaEnrollmentRequired: boolean }>()
    expect(limited.mfaEnrollmentRequired).toBe(true)
    const enrol = await call('POST', '/v1/auth/mfa/enroll', { token: limited.token })
    const { secret } = enrol.json<{ secret: string }>()
    const act = await call('POST', '/v1/auth/mfa/activate', {
      token: limited.token,
      body: { code: codeNow(secret) },
    })
    expect(act.statusCode).toBe(200)
    nextStep()
    const full = await login({ email: op.email, password: PASSWORD, code: codeNow(secret) }, ip)
    expect(full.statusCode).toBe(200)
    return { op, secret, token: full.json<{ token: string }>().token }
  }

  it('creates an operator, refuses weak and breached passwords with PASSWORD_POLICY', async () => {
    const op = await createOperator('analyst')
    expect(op).toMatchObject({ role: 'analyst', mfaEnrolled: false })
    expect(op.id).toMatch(/^op_/)
    for (const password of ['short-pw', 'password123456', 'iloveyou1234', 'aaaaaaaaaaaaaaa']) {
      const r = await call('POST', '/v1/operators', {
        token: t.apiKey,
        body: { email: email(), password, role: 'operator' },
      })
      expect(r.statusCode, password).toBe(400)
      expect(r.json()).toMatchObject({ error: { code: 'PASSWORD_POLICY' } })
    }
    const dup = await call('POST', '/v1/operators', {
      token: t.apiKey,
      body: { email: op.email.toUpperCase(), password: PASSWORD, role: 'operator' },
    })
    expect(dup.json()).toMatchObject({ error: { code: 'OPERATOR_EXISTS' } })
  })

  it('enrols MFA from the returned secret, then needs a fresh code; a replayed code fails like any other', async () => {
    const ip = '198.51.100.10'
    const op = await createOperator('operator')
    const first = await login({ email: op.email, password: PASSWORD }, ip)
    const limited = first.json<{ token: string; mfaEnrollmentRequired: boolean }>()
    expect(limited.mfaEnrollmentRequired).toBe(true)
    // An enrolment-only session can do nothing else.
    const blocked = await call('GET', '/v1/accounts', { token: limited.token })
    expect(blocked.statusCode).toBe(403)
    expect(blocked.json()).toMatchObject({ error: { code: 'MFA_ENROLLMENT_REQUIRED' } })

    const enrol = await call('POST', '/v1/auth/mfa/enroll', { token: limited.token })
    expect(enrol.statusCode).toBe(200)
    const e = enrol.json<{ secret: string; otpauthUri: string; qrSvg: string; qrDataUrl: string }>()
    expect(e.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/)
    expect(e.otpauthUri).toContain(`secret=${e.secret}`)
    expect(e.qrSvg).toContain('<svg')
    expect(e.qrDataUrl).toMatch(/^data:image\/png;base64,/)
    const wrong = await call('POST', '/v1/auth/mfa/activate', {
      token: limited.token,
      body: { code: '000000' },
    })
    expect(wrong.json()).toMatchObject({ error: { code: 'MFA_CODE_INVALID' } })
    const act = await call('POST', '/v1/auth/mfa/activate', {
      token: limited.token,
      body: { code: codeNow(e.secret) },
    })
    expect(act.statusCode).toBe(200)
    const { recoveryCodes } = act.json<{ recoveryCodes: string[] }>()
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    // Activation lifted this session's limit.
    expect((await call('GET', '/v1/accounts', { token: limited.token })).statusCode).not.toBe(403)

    // Password alone no longer signs in; the step used for activation is spent.
    const noCode = await login({ email: op.email, password: PASSWORD }, ip)
    expect(noCode.statusCode).toBe(401)
    const replayActivation = await login({ email: op.email, password: PASSWORD, code: codeNow(e.secret) }, ip)
    expect(replayActivation.statusCode).toBe(401)
    nextStep()
    const code = codeNow(e.secret)
    const ok = await login({ email: op.email, password: PASSWORD, code }, ip)
    expect(ok.statusCode).toBe(200)
    const session = ok.json<{
      token: string
      mfaEnrollmentRequired: boolean
      operator: { mfaEnrolled: boolean }
    }>()
    expect(session.token).toMatch(/^ses_/)
    expect(session).toMatchObject({ mfaEnrollmentRequired: false, operator: { mfaEnrolled: true } })
    const replay = await login({ email: op.email, password: PASSWORD, code }, ip)
    expect(replay.statusCode).toBe(401)
    expect(replay.json()).toEqual({ error: { code: 'AUTH_FAILED', message: AUTH_FAILED_MESSAGE } })
    const events = await sql<{ topic: string; payload: { operatorId: string } }>`
      SELECT topic, payload FROM event_outbox WHERE topic = 'auth.mfa.code_reused.v1' AND partition_key = ${op.id}`.execute(
      t.app.services.db.db,
    )
    expect(events.rows.length).toBeGreaterThanOrEqual(1)

    // A recovery code works once.
    const rc = await login({ email: op.email, password: PASSWORD, code: recoveryCodes[0]!.toUpperCase() }, ip)
    expect(rc.statusCode).toBe(200)
    expect(
      (await login({ email: op.email, password: PASSWORD, code: recoveryCodes[0]! }, ip)).statusCode,
    ).toBe(401)

    const me = await call('GET', '/v1/auth/session', { token: session.token })
    expect(me.json()).toMatchObject({ kind: 'session', role: 'operator', email: op.email })
    expect((await call('POST', '/v1/auth/logout', { token: session.token })).statusCode).toBe(204)
    expect((await call('GET', '/v1/auth/session', { token: session.token })).statusCode).toBe(401)
  })

  it('locks an account after 10 failures with the same AUTH_FAILED for every kind of failure', async () => {
    const ip = '198.51.100.20'
    const { op, secret } = await enrolled('analyst', ip)
    const bodies: unknown[] = []
    bodies.push((await login({ email: `nobody-${newId('x')}@example.com`, password: PASSWORD }, ip)).json())
    for (let i = 0; i < 9; i++) {
      const r = await login({ email: op.email, password: `wrong-password-${i}!` }, ip)
      expect(r.statusCode).toBe(401)
      bodies.push(r.json())
    }
    nextStep()
    // Right password, wrong code: the 10th failure of this account locks it.
    const wrongCode = await login({ email: op.email, password: PASSWORD, code: '000000' }, ip)
    bodies.push(wrongCode.json())
    nextStep()
    // Locked: even the right password and a fresh code fail, with the same answer.
    const locked = await login({ email: op.email, password: PASSWORD, code: codeNow(secret) }, ip)
    expect(locked.statusCode).toBe(401)
    bodies.push(locked.json())
    for (const b of bodies)
      expect(b).toEqual({ error: { code: 'AUTH_FAILED', message: AUTH_FAILED_MESSAGE } })
    const ops = await call('GET', '/v1/operators', { token: t.apiKey })
    const row = ops
      .json<{ data: { id: string; lockedUntil: string | null }[] }>()
      .data.find((o) => o.id === op.id)
    expect(new Date(row!.lockedUntil!).getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(29 * 60_000)
    const lockEvents = await sql<{ payload: { lockoutCount: number } }>`
      SELECT payload FROM event_outbox WHERE topic = 'auth.operator.locked.v1' AND partition_key = ${op.id}`.execute(
      t.app.services.db.db,
    )
    expect(lockEvents.rows.map((r) => r.payload.lockoutCount)).toEqual([1])

    // After 30 minutes the lock has lapsed; an admin unlock also clears it at once.
    clock.advance(31 * 60_000)
    const after = await login({ email: op.email, password: PASSWORD, code: codeNow(secret) }, ip)
    expect(after.statusCode).toBe(200)
  })

  it('enforces roles: 403 FORBIDDEN outside the role, fail-closed for admin routes', async () => {
    const ip = '198.51.100.30'
    const analyst = await enrolled('analyst', ip)
    const auditor = await createOperator('auditor')
    const auditorLogin = await login({ email: auditor.email, password: PASSWORD }, ip)
    const auditorSession = auditorLogin.json<{ token: string; mfaEnrollmentRequired: boolean }>()
    // Auditors do not need MFA (no money, no personal data) and get a full session.
    expect(auditorSession.mfaEnrollmentRequired).toBe(false)

    const expectations: [string, 'GET' | 'POST', string, unknown, number][] = [
      [analyst.token, 'GET', '/v1/screening/alerts', undefined, 200],
      [analyst.token, 'GET', '/v1/audit/entries', undefined, 403],
      [analyst.token, 'POST', '/v1/operators', { email: email(), password: PASSWORD, role: 'admin' }, 403],
      [analyst.token, 'POST', '/v1/api-keys', { name: 'x', scopes: ['*'] }, 403],
      [auditorSession.token, 'GET', '/v1/audit/entries', undefined, 200],
      [auditorSession.token, 'GET', '/v1/screening/alerts', undefined, 403],
      [auditorSession.token, 'POST', '/v1/transactions', { entries: [] }, 403],
      [t.apiKey, 'POST', '/v1/tenants', { name: 'not allowed' }, 403],
    ]
    for (const [token, method, url, body, status] of expectations) {
      const r = await call(method, url, { token, ...(body !== undefined ? { body } : {}) })
      expect(r.statusCode, `${method} ${url}`).toBe(status)
      if (status === 403) expect(r.json()).toMatchObject({ error: { code: 'FORBIDDEN' } })
    }
  })

  it('API keys: scopes limit what a key does, rotation keeps the old key valid for the overlap only', async () => {
    const created = await call('POST', '/v1/api-keys', {
      token: t.apiKey,
      body: { name: 'reporting', scopes: ['ledger:read', 'market:*'] },
    })
    expect(created.statusCode).toBe(201)
    const k = created.json<{ id: string; key: string; scopes: string[] }>()
    expect(k.key).toMatch(/^mk_/)
    expect((await call('GET', '/v1/market/alerts', { token: k.key })).statusCode).toBe(200)
    const write = await call('POST', '/v1/accounts', { token: k.key, body: { code: 'x' } })
    expect(write.statusCode).toBe(403)
    expect(write.json()).toMatchObject({
      error: { code: 'FORBIDDEN', details: { permission: 'ledger:write' } },
    })
    const bad = await call('POST', '/v1/api-keys', {
      token: t.apiKey,
      body: { name: 'y', scopes: ['ledger:fly'] },
    })
    expect(bad.json()).toMatchObject({ error: { code: 'API_KEY_SCOPE_INVALID' } })
    // A key never lists its secret again.
    const list = await call('GET', '/v1/api-keys', { token: t.apiKey })
    expect(list.body).not.toContain(k.key)

    const rotated = await call('POST', `/v1/api-keys/${k.id}/rotate`, {
      token: t.apiKey,
      body: { overlapSeconds: 600 },
    })
    expect(rotated.statusCode).toBe(201)
    const next = rotated.json<{ id: string; key: string; scopes: string[] }>()
    expect(next.scopes).toEqual(k.scopes)
    // Both work during the overlap …
    expect((await call('GET', '/v1/market/alerts', { token: k.key })).statusCode).toBe(200)
    expect((await call('GET', '/v1/market/alerts', { token: next.key })).statusCode).toBe(200)
    clock.advance(601_000)
    // … then only the new one.
    expect((await call('GET', '/v1/market/alerts', { token: k.key })).statusCode).toBe(401)
    expect((await call('GET', '/v1/market/alerts', { token: next.key })).statusCode).toBe(200)
    expect((await call('DELETE', `/v1/api-keys/${next.id}`, { token: t.apiKey })).statusCode).toBe(204)
    expect((await call('GET', '/v1/market/alerts', { token: next.key })).statusCode).toBe(401)
  })

  it('the bootstrap key creates tenants with their own admin key', async () => {
    const r = await call('POST', '/v1/tenants', { token: t.bootstrapApiKey, body: { name: 'Acme' } })
    expect(r.statusCode).toBe(201)
    const tenant = r.json<{ id: string; apiKey: string }>()
    const me = await call('GET', '/v1/auth/session', { token: tenant.apiKey })
    expect(me.json()).toMatchObject({ kind: 'api_key', tenantId: tenant.id })
  })

  it('sessions end after the idle timeout and after the absolute timeout, however busy', async () => {
    const ip = '198.51.100.40'
    // read_only needs no MFA: a plain sign-in gives a full session.
    const idle = await createOperator('read_only')
    const token = (await login({ email: idle.email, password: PASSWORD }, ip)).json<{ token: string }>().token
    // The default idle timeout is 15 minutes (PCI DSS 8.2.8).
    clock.advance(14 * 60_000)
    expect((await call('GET', '/v1/auth/session', { token })).statusCode).toBe(200)
    clock.advance(14 * 60_000) // active 14 min ago: still inside the idle window
    expect((await call('GET', '/v1/auth/session', { token })).statusCode).toBe(200)
    clock.advance(16 * 60_000)
    expect((await call('GET', '/v1/auth/session', { token })).statusCode).toBe(401)

    const op = await createOperator('read_only')
    const busy = (await login({ email: op.email, password: PASSWORD }, ip)).json<{ token: string }>().token
    for (let i = 0; i < 53; i++) {
      clock.advance(14 * 60_000)
      const r = await call('GET', '/v1/auth/session', { token: busy })
      expect(r.statusCode, `after ${(i + 1) * 14} min`).toBe((i + 1) * 14 < 12 * 60 ? 200 : 401)
    }
  })
})

const stores = [
  { name: 'memory', env: {} },
  ...(testRedisUrl()
    ? [{ name: 'redis', env: { REDIS_URL: testRedisUrl()!, MONETA_EVENT_BUS: 'memory' } }]
    : []),
]

describe.each(stores)('rate limits (e2e) [$name store]', ({ name, env }) => {
  it('answers 429 RATE_LIMITED with Retry-After per key, per address and for sign-in; webhooks have their own budget', async () => {
    const t = await createTestApp(
      { name: 'pglite' },
      {
        env: {
          ...env,
          MONETA_RATE_LIMIT_PER_KEY: '5',
          MONETA_RATE_LIMIT_LOGIN: '3',
          MONETA_RATE_LIMIT_PER_ADDRESS: '3',
          MONETA_TRUST_PROXY: 'true',
        },
      },
    )
    try {
      const get = () =>
        t.app.server.inject({
          method: 'GET',
          url: '/v1/market/alerts',
          headers: { authorization: `Bearer ${t.apiKey}` },
        })
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) statuses.push((await get()).statusCode)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
      const limited = await get()
      expect(limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } })
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
      // Another key has its own budget.
      const other = await t.newTenant()
      const r = await t.app.server.inject({
        method: 'GET',
        url: '/v1/market/alerts',
        headers: { authorization: `Bearer ${other.apiKey}` },
      })
      expect(r.statusCode).toBe(200)
      // A fresh address each run: Redis keeps counts for the minute across runs.
      const address = `192.0.2.${Math.floor(Math.random() * 250) + 1}`
      const logins: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await t.app.server.inject({
          method: 'POST',
          url: '/v1/auth/login',
          remoteAddress: address,
          payload: { email: 'x@example.com', password: 'nope-nope-nope' },
        })
        logins.push(res.statusCode)
      }
      expect(logins).toEqual([401, 401, 401, 429])
      // Behind a trusted proxy the client address comes from X-Forwarded-For: another client, its own budget.
      const proxied = await t.app.server.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: address,
        headers: { 'x-forwarded-for': '198.51.100.77' },
        payload: { email: 'x@example.com', password: 'nope-nope-nope' },
      })
      expect(proxied.statusCode).toBe(401)
      // Requests without valid credentials spend the address's budget …
      const anonymous: number[] = []
      for (let i = 0; i < 4; i++) {
        const res = await t.app.server.inject({ method: 'GET', url: '/v1/accounts', remoteAddress: address })
        anonymous.push(res.statusCode)
      }
      expect(anonymous).toEqual([401, 401, 401, 429])
      // … while signed gateway webhooks from that address have a budget of their own.
      for (let i = 0; i < 4; i++) {
        const res = await t.app.server.inject({
          method: 'POST',
          url: '/v1/webhooks/sandbox',
          remoteAddress: address,
          headers: { 'content-type': 'application/json' },
          payload: '{}',
        })
        expect(res.statusCode).not.toBe(429)
      }
      if (name === 'redis') {
        // The counters live in Redis, where every API process shares them.
        const redis = new Redis(testRedisUrl()!)
        try {
          // Under this app's own prefix (MONETA_REDIS_PREFIX: the test app gets one of its own).
          const prefix = t.app.services.config.redisPrefix
          expect((await redis.keys(`${prefix}:ratelimit:*`)).length).toBeGreaterThan(0)
        } finally {
          redis.disconnect()
        }
      }
    } finally {
      await t.close()
    }
  }, 120_000) // starts an app of its own
})
