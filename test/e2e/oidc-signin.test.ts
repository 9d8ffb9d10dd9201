import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js'

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

// OIDC sign-in end to end: a real OpenID provider on 127.0.0.1, the app on a port, a "browser" in between.
for (const target of testDbTargets()) {
  describe(`OIDC sign-in over HTTP [${target.name}]`, () => {
    let t: TestApp
    let idp: TestOidcProvider
    let base: string
    const suffix = Date.now().toString(36)
    const email = (who: string) => `${who}-${suffix}@corp.example`

    beforeAll(async () => {
      const port = await freePort()
      base = `http://127.0.0.1:${port}`
      idp = await startOidcProvider({
        redirectUri: `${base}/v1/auth/oidc/callback`,
        accounts: {
          auditor: { email: email('auditor') },
          admin: { email: email('admin') },
          stranger: { email: email('stranger') },
          unverified: { email: email('auditor2'), emailVerified: false },
          locked: { email: email('locked') },
        },
      })
      t = await createTestApp(target, {
        env: {
          MONETA_OIDC_ISSUER: idp.issuer,
          MONETA_OIDC_CLIENT_ID: idp.clientId,
          MONETA_OIDC_CLIENT_SECRET: idp.clientSecret,
          MONETA_OIDC_REDIRECT_URI: `${base}/v1/auth/oidc/callback`,
        },
      })
      await t.app.server.listen({ port, host: '127.0.0.1' })
      for (const [who, role] of [
        ['auditor', 'auditor'],
        ['admin', 'admin'],
        ['auditor2', 'auditor'],
        ['locked', 'auditor'],
      ] as const) {
        const res = await fetch(`${base}/v1/operators`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.bootstrapApiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: email(who), password: `Oidc-e2e-${suffix}-Horse!9`, role }),
        })
        expect(res.status).toBe(201)
      }
    }, 120_000)
    afterAll(async () => {
      await t.close()
      await idp.close()
    })

    /** The browser: /start → provider (login, consent) → our callback, with the flow cookie. */
    async function signIn(subject: string, amr?: string[], opts: { dropCookie?: boolean } = {}) {
      idp.signInAs(subject, amr)
      const start = await fetch(`${base}/v1/auth/oidc/start`, { redirect: 'manual' })
      expect(start.status).toBe(302)
      const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
      expect(start.headers.get('set-cookie')).toMatch(/HttpOnly/)
      const callback = await idp.authorize(start.headers.get('location') ?? '')
      const res = await fetch(callback, { headers: opts.dropCookie ? {} : { cookie } })
      return { status: res.status, body: (await res.json()) as Record<string, unknown> }
    }

    it('signs an existing operator in and the session works', async () => {
      const r = await signIn('auditor')
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({
        operator: { email: email('auditor'), role: 'auditor' },
        provisioned: false,
      })
      expect(String(r.body.token)).toMatch(/^ses_/)
      const me = await fetch(`${base}/v1/auth/session`, {
        headers: { authorization: `Bearer ${String(r.body.token)}` },
      })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({ email: email('auditor') })
    })

    it('refuses an unknown email (no auto-provisioning) and an unverified one, with AUTH_FAILED', async () => {
      for (const who of ['stranger', 'unverified']) {
        const r = await signIn(who)
        expect(r.status).toBe(401)
        expect(r.body).toMatchObject({ error: { code: 'AUTH_FAILED' } })
      }
    })

    it('signs in a role that needs MFA only when the provider asserts a second factor', async () => {
      const passwordOnly = await signIn('admin', ['pwd'])
      expect(passwordOnly.status).toBe(401)
      const withOtp = await signIn('admin', ['pwd', 'otp'])
      expect(withOtp.status).toBe(200)
      expect(withOtp.body).toMatchObject({ operator: { role: 'admin' } })
    })

    it('keeps a lockout: an operator locked by failed sign-ins cannot get in through the provider', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${base}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: email('locked'), password: `wrong-${i}-Horse!9xx` }),
        })
        expect(res.status).toBe(401)
      }
      const r = await signIn('locked')
      expect(r.status).toBe(401)
      expect(r.body).toMatchObject({ error: { code: 'AUTH_FAILED' } })
    })

    it('refuses a callback without the browser’s flow cookie (login CSRF)', async () => {
      const r = await signIn('auditor', undefined, { dropCookie: true })
      expect(r.status).toBe(400)
      expect(r.body).toMatchObject({ error: { code: 'OIDC_STATE_INVALID' } })
    })
  })
}

describe('OIDC sign-in with auto-provisioning [pglite]', () => {
  let t: TestApp
  let idp: TestOidcProvider
  let base: string
  const newcomer = `newcomer-${Date.now().toString(36)}@corp.example`
  beforeAll(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    idp = await startOidcProvider({
      redirectUri: `${base}/v1/auth/oidc/callback`,
      accounts: {
        newcomer: { email: newcomer },
        unverified: { email: `x-${newcomer}`, emailVerified: false },
      },
    })
    t = await createTestApp(
      { name: 'pglite' },
      {
        env: {
          MONETA_OIDC_ISSUER: idp.issuer,
          MONETA_OIDC_CLIENT_ID: idp.clientId,
          MONETA_OIDC_CLIENT_SECRET: idp.clientSecret,
          MONETA_OIDC_REDIRECT_URI: `${base}/v1/auth/oidc/callback`,
          MONETA_OIDC_AUTO_PROVISION_ROLE: 'read_only',
        },
      },
    )
    await t.app.server.listen({ port, host: '127.0.0.1' })
  }, 120_000)
  afterAll(async () => {
    await t.close()
    await idp.close()
  })

  const signIn = async (subject: string) => {
    idp.signInAs(subject)
    const start = await fetch(`${base}/v1/auth/oidc/start`, { redirect: 'manual' })
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
    const callback = await idp.authorize(start.headers.get('location') ?? '')
    const res = await fetch(callback, { headers: { cookie } })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('creates an operator with the configured role for a verified email, once', async () => {
    const first = await signIn('newcomer')
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    expect(first.body).toMatchObject({ provisioned: true, operator: { email: newcomer, role: 'read_only' } })
    const again = await signIn('newcomer')
    expect(again.body).toMatchObject({
      provisioned: false,
      operator: { id: (first.body.operator as { id: string }).id },
    })
  })

  it('never provisions an unverified email', async () => {
    const r = await signIn('unverified')
    expect(r.status).toBe(401)
    expect(await t.app.services.auth.findOperator({ email: `x-${newcomer}` })).toBeUndefined()
  })
})
