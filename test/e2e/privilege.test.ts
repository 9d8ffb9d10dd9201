import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLE_GRANTS } from '../../src/modules/auth/index.js'
import { fixedClock } from '../../src/shared/clock.js'
import { newId } from '../../src/shared/ids.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'

const PASSWORD = 'violet-otter-harbour-42'

/**
 * Security findings 3, 4 and 5 of issue 15 and finding 8's per-tenant emails, over HTTP:
 * no principal hands out, changes or removes a grant it does not hold; vault:detokenize comes from
 * no wildcard; operators can be offboarded (disable, role, password), every session ending.
 */
describeEachDb('privilege and offboarding (e2e)', (target) => {
  const clock = fixedClock(new Date('2026-05-01T09:00:00Z'))
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target, { clock })
  }, 180_000)
  afterAll(async () => t.close())

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    opts: { token?: string; body?: unknown } = {},
  ) =>
    t.app.server.inject({
      method,
      url,
      remoteAddress: '203.0.113.77',
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { payload: JSON.stringify(opts.body) } : {}),
    })
  const email = () => `${newId('op')}@example.com`
  const key = async (scopes: string[], token = t.apiKey) => {
    const r = await call('POST', '/v1/api-keys', { token, body: { name: 'k', scopes } })
    expect(r.statusCode, r.body).toBe(201)
    return r.json<{ id: string; key: string }>()
  }
  const operator = async (role: string, address = email(), token = t.apiKey) => {
    const r = await call('POST', '/v1/operators', {
      token,
      body: { email: address, password: PASSWORD, role },
    })
    expect(r.statusCode, r.body).toBe(201)
    return r.json<{ id: string; email: string }>()
  }
  const signIn = async (address: string, password = PASSWORD, tenant?: string) =>
    call('POST', '/v1/auth/login', {
      body: { email: address, password, ...(tenant ? { tenant } : {}) },
    })
  const auditActions = async () => {
    await t.app.services.audit.flush()
    const r = await call('GET', '/v1/audit/entries?limit=1000', { token: t.apiKey })
    return r
      .json<{ entries: { entry: { action: string; resource: string } }[] }>()
      .entries.map((e) => e.entry)
  }

  describe('finding 3: creating operators and revoking keys need the grants involved', () => {
    it('a key scoped only operators:admin cannot create an admin (or any role it does not hold)', async () => {
      const opsOnly = await key(['operators:admin'])
      for (const role of ['admin', 'operator', 'read_only']) {
        const r = await call('POST', '/v1/operators', {
          token: opsOnly.key,
          body: { email: email(), password: PASSWORD, role },
        })
        expect(r.statusCode, role).toBe(403)
        expect(r.json()).toMatchObject({ error: { code: 'GRANT_NOT_HELD' } })
      }
      // Exactly the read_only role's grants (whatever modules add to it) plus operators:admin.
      const enough = await key(['operators:admin', ...ROLE_GRANTS.read_only])
      await operator('read_only', email(), enough.key)
    })

    it('revoking and rotating a key need every grant the key carries', async () => {
      const keysOnly = await key(['api_keys:admin'])
      const strong = await key(['*'])
      for (const [method, url] of [
        ['DELETE', `/v1/api-keys/${strong.id}`],
        ['POST', `/v1/api-keys/${strong.id}/rotate`],
      ] as const) {
        const r = await call(method, url, { token: keysOnly.key, ...(method === 'POST' ? { body: {} } : {}) })
        expect(r.statusCode, url).toBe(403)
        expect(r.json()).toMatchObject({ error: { code: 'GRANT_NOT_HELD' } })
      }
      // the strong key still works, and a holder of its grants revokes it
      expect((await call('GET', '/v1/api-keys', { token: strong.key })).statusCode).toBe(200)
      expect((await call('DELETE', `/v1/api-keys/${strong.id}`, { token: t.apiKey })).statusCode).toBe(204)
      expect((await call('GET', '/v1/api-keys', { token: strong.key })).statusCode).toBe(401)
    })
  })

  describe('finding 4: vault:detokenize is implied and minted by no wildcard', () => {
    it('* and vault:* neither reveal a PAN nor mint a key that does; the platform owner does', async () => {
      const card = await call('POST', '/v1/vault/cards', {
        token: t.apiKey,
        body: { pan: '4111111111111111', expMonth: 12, expYear: 2030 },
      })
      expect(card.statusCode, card.body).toBe(201)
      const token = card.json<{ token: string }>().token
      const vaultAll = await key(['vault:*'])
      for (const k of [t.apiKey, vaultAll.key]) {
        const r = await call('POST', `/v1/vault/cards/${token}/detokenize`, { token: k })
        expect(r.statusCode).toBe(403)
        expect(r.body).not.toContain('4111111111111111')
      }
      for (const scopes of [['vault:detokenize'], ['vault:*', 'vault:detokenize']]) {
        const r = await call('POST', '/v1/api-keys', { token: t.apiKey, body: { name: 'x', scopes } })
        expect(r.statusCode).toBe(403)
        expect(r.json()).toMatchObject({
          error: { code: 'GRANT_NOT_HELD', details: { missing: ['vault:detokenize'] } },
        })
      }
      // the platform owner's key issues one (in its own tenant), and that key cannot mint another
      const detok = await key(['vault:detokenize'], t.bootstrapApiKey)
      const again = await call('POST', '/v1/api-keys', {
        token: detok.key,
        body: { name: 'y', scopes: ['vault:detokenize'] },
      })
      expect(again.statusCode).toBe(403)
    })
  })

  describe('finding 5: offboarding', () => {
    it('disable ends every session and revokes the keys the operator created; audited', async () => {
      const op = await operator('auditor') // no MFA needed: a full session at once
      const login = await signIn(op.email)
      expect(login.statusCode).toBe(200)
      const session = login.json<{ token: string }>().token
      expect((await call('GET', '/v1/auth/session', { token: session })).statusCode).toBe(200)
      // a key this operator made (as an admin would have, through their session)
      const made = await t.app.services.auth.apiKeys.create(
        t.tenantId,
        { name: 'made by op', scopes: ['ledger:read'] },
        { actor: `operator:${op.id}`, scopes: ['*'] },
      )
      expect((await call('GET', '/v1/accounts', { token: made.key })).statusCode).toBe(200)
      const r = await call('POST', `/v1/operators/${op.id}/disable`, { token: t.apiKey })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json()).toMatchObject({ sessionsEnded: 1, apiKeysRevoked: 1 })
      expect((await call('GET', '/v1/accounts', { token: made.key })).statusCode).toBe(401)
      expect((await call('GET', '/v1/auth/session', { token: session })).statusCode).toBe(401)
      expect((await signIn(op.email)).statusCode).toBe(401)
      const listed = await call('GET', '/v1/operators', { token: t.apiKey })
      expect(listed.body).not.toContain(op.id)
      expect((await call('POST', `/v1/operators/${op.id}/disable`, { token: t.apiKey })).statusCode).toBe(404)
      expect(await auditActions()).toContainEqual(
        expect.objectContaining({ action: 'auth.operator.disable', resource: op.id }),
      )
    })

    it('role change ends the sessions and needs both roles held; admin reset and self change of password', async () => {
      const op = await operator('auditor')
      const session = (await signIn(op.email)).json<{ token: string }>().token
      const opsOnly = await key([
        'operators:admin',
        'audit:read',
        'ledger:read',
        'reconciliation:read',
        'market:read',
        'session:self',
      ])
      const up = await call('PUT', `/v1/operators/${op.id}/role`, {
        token: opsOnly.key,
        body: { role: 'admin' },
      })
      expect(up.statusCode).toBe(403)
      const down = await call('PUT', `/v1/operators/${op.id}/role`, {
        token: t.apiKey,
        body: { role: 'read_only' },
      })
      expect(down.statusCode, down.body).toBe(200)
      expect(down.json()).toMatchObject({ role: 'read_only' })
      expect((await call('GET', '/v1/auth/session', { token: session })).statusCode).toBe(401)

      // self: the current password is needed; other sessions end, this one stays
      const a = (await signIn(op.email)).json<{ token: string }>().token
      const b = (await signIn(op.email)).json<{ token: string }>().token
      const wrong = await call('POST', '/v1/auth/password', {
        token: a,
        body: { currentPassword: 'not-the-password-1', newPassword: 'lantern-meadow-copper-19' },
      })
      expect(wrong.statusCode).toBe(401)
      const weak = await call('POST', '/v1/auth/password', {
        token: a,
        body: { currentPassword: PASSWORD, newPassword: 'password123456' },
      })
      expect(weak.json()).toMatchObject({ error: { code: 'PASSWORD_POLICY' } })
      const ok = await call('POST', '/v1/auth/password', {
        token: a,
        body: { currentPassword: PASSWORD, newPassword: 'lantern-meadow-copper-19' },
      })
      expect(ok.statusCode, ok.body).toBe(204)
      expect((await call('GET', '/v1/auth/session', { token: a })).statusCode).toBe(200)
      expect((await call('GET', '/v1/auth/session', { token: b })).statusCode).toBe(401)
      expect((await signIn(op.email)).statusCode).toBe(401)
      expect((await signIn(op.email, 'lantern-meadow-copper-19')).statusCode).toBe(200)

      // admin reset ends every session
      const reset = await call('POST', `/v1/operators/${op.id}/password`, {
        token: t.apiKey,
        body: { password: 'orchid-granite-falcon-33' },
      })
      expect(reset.statusCode, reset.body).toBe(204)
      expect((await call('GET', '/v1/auth/session', { token: a })).statusCode).toBe(401)
      expect((await signIn(op.email, 'orchid-granite-falcon-33')).statusCode).toBe(200)

      const actions = (await auditActions()).filter((e) => e.resource === op.id).map((e) => e.action)
      expect(actions).toEqual(
        expect.arrayContaining([
          'auth.operator.role_change',
          'auth.operator.password_change',
          'auth.operator.password_reset',
        ]),
      )
    })
  })

  it('finding 8: an audit:* key reads the audit log (route table and handler agree)', async () => {
    const auditAll = await key(['audit:*'])
    for (const url of ['/v1/audit/entries?limit=5', '/v1/audit/checkpoint']) {
      const r = await call('GET', url, { token: auditAll.key })
      expect([200, 404], `${url} ${r.body}`).toContain(r.statusCode)
      expect(r.body).not.toContain('AUDIT_FORBIDDEN')
    }
  })

  describe('finding 8: operator emails are unique per tenant', () => {
    it('another tenant may use an address already taken (no cross-tenant probe); sign-in then names the tenant', async () => {
      const address = email()
      await operator('auditor', address)
      const b = await t.newTenant()
      const again = await call('POST', '/v1/operators', {
        token: b.apiKey,
        body: { email: address, password: PASSWORD, role: 'auditor' },
      })
      expect(again.statusCode, again.body).toBe(201)
      const dup = await call('POST', '/v1/operators', {
        token: b.apiKey,
        body: { email: address, password: PASSWORD, role: 'auditor' },
      })
      expect(dup.json()).toMatchObject({ error: { code: 'OPERATOR_EXISTS' } })
      expect((await signIn(address)).statusCode).toBe(401) // ambiguous: which tenant?
      const inB = await signIn(address, PASSWORD, b.tenantId)
      expect(inB.statusCode).toBe(200)
      expect(inB.json()).toMatchObject({ operator: { email: address } })
    })
  })
})
