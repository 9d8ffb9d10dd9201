import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc-provider.js'
import { createOidcClient, type OidcClient } from './oidc.js'

const REDIRECT = 'http://127.0.0.1:1/v1/auth/oidc/callback'

describe('OIDC client against a local OpenID provider', () => {
  let idp: TestOidcProvider
  let now = Date.now()
  let oidc: OidcClient
  beforeAll(async () => {
    idp = await startOidcProvider({
      redirectUri: REDIRECT,
      accounts: {
        alice: { email: 'Alice@Example.com' },
        mallory: { email: 'mallory@example.com', emailVerified: false },
      },
    })
    oidc = createOidcClient(
      { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, redirectUri: REDIRECT },
      { now: () => now },
    )
  })
  afterAll(async () => idp.close())

  const flow = async (subject = 'alice') => {
    idp.signInAs(subject)
    const start = await oidc.start()
    return { start, callback: await idp.authorize(start.redirectTo) }
  }

  it('sends PKCE (S256), state and nonce, and returns the verified ID-token claims', async () => {
    const { start, callback } = await flow()
    const auth = new URL(start.redirectTo)
    expect(auth.origin).toBe(idp.issuer)
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256')
    expect(auth.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(auth.searchParams.get('state')).toBeTruthy()
    expect(auth.searchParams.get('nonce')).toBeTruthy()
    expect(auth.searchParams.get('scope')).toBe('openid email profile')
    // Nothing secret leaves in the URL: the verifier stays in the sealed cookie.
    expect(start.redirectTo).not.toContain(start.cookie)
    expect(callback.searchParams.get('code')).toBeTruthy()
    const who = await oidc.finish(callback, start.cookie)
    expect(who).toMatchObject({
      issuer: idp.issuer,
      subject: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
    })
  })

  it('reports an unverified email as such', async () => {
    const { start, callback } = await flow('mallory')
    expect(await oidc.finish(callback, start.cookie)).toMatchObject({
      email: 'mallory@example.com',
      emailVerified: false,
    })
  })

  it('refuses a callback without the flow cookie, with a forged one, or with another flow’s', async () => {
    const a = await flow()
    const b = await flow()
    await expect(oidc.finish(a.callback, undefined)).rejects.toMatchObject({ code: 'OIDC_STATE_INVALID' })
    await expect(oidc.finish(a.callback, 'AAAA' + a.start.cookie.slice(4))).rejects.toMatchObject({
      code: 'OIDC_STATE_INVALID',
    })
    await expect(oidc.finish(a.callback, b.start.cookie)).rejects.toMatchObject({
      code: 'OIDC_STATE_INVALID',
    })
    // The rightful pair still works.
    await expect(oidc.finish(a.callback, a.start.cookie)).resolves.toMatchObject({ subject: 'alice' })
  })

  it('refuses a tampered state and a replayed code', async () => {
    const { start, callback } = await flow()
    const tampered = new URL(callback)
    tampered.searchParams.set('state', 'attacker-state')
    await expect(oidc.finish(tampered, start.cookie)).rejects.toMatchObject({ code: 'OIDC_STATE_INVALID' })
    await expect(oidc.finish(callback, start.cookie)).resolves.toMatchObject({ subject: 'alice' })
    await expect(oidc.finish(callback, start.cookie)).rejects.toMatchObject({ code: 'AUTH_FAILED' })
  })

  it('refuses a code redeemed with the wrong PKCE verifier (a stolen code in another flow)', async () => {
    const victim = await flow()
    const attacker = await oidc.start()
    // The attacker's own cookie and state with the victim's code: the provider refuses the PKCE verifier.
    const stolen = new URL(victim.callback)
    stolen.searchParams.set('state', new URL(attacker.redirectTo).searchParams.get('state') ?? '')
    await expect(oidc.finish(stolen, attacker.cookie)).rejects.toMatchObject({ code: 'AUTH_FAILED' })
  })

  it('refuses an expired flow and an error answer from the provider', async () => {
    const { start, callback } = await flow()
    now += 11 * 60_000
    try {
      await expect(oidc.finish(callback, start.cookie)).rejects.toMatchObject({ code: 'OIDC_STATE_INVALID' })
    } finally {
      now = Date.now()
    }
    const denied = await oidc.start()
    const state = new URL(denied.redirectTo).searchParams.get('state') ?? ''
    const errorUrl = new URL(
      `${REDIRECT}?error=access_denied&state=${state}&iss=${encodeURIComponent(idp.issuer)}`,
    )
    await expect(oidc.finish(errorUrl, denied.cookie)).rejects.toMatchObject({ code: 'AUTH_FAILED' })
  })

  it('accepts plain http only for a loopback issuer', () => {
    const settings = { clientId: 'c', clientSecret: 's'.repeat(32), redirectUri: REDIRECT }
    expect(() => createOidcClient({ ...settings, issuer: 'http://idp.example.com' })).toThrow(/https/)
    expect(() => createOidcClient({ ...settings, issuer: 'https://idp.example.com' })).not.toThrow()
  })

  it('answers OIDC_UNAVAILABLE when the provider cannot be reached, and retries discovery later', async () => {
    const down = createOidcClient({
      issuer: 'http://127.0.0.1:9',
      clientId: 'c',
      clientSecret: 's'.repeat(32),
      redirectUri: REDIRECT,
    })
    await expect(down.start()).rejects.toMatchObject({ code: 'OIDC_UNAVAILABLE' })
    await expect(down.start()).rejects.toMatchObject({ code: 'OIDC_UNAVAILABLE' })
  })
})
