import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'

export interface TestAccount {
  readonly email: string
  readonly emailVerified?: boolean
}

export interface TestOidcProvider {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Who signs in at the provider on the next authorisation (by subject), and how (RFC 8176 amr). */
  signInAs(subject: string, amr?: string[]): void
  /**
   * Plays the browser at the provider: follows the authorisation URL through login and consent
   * (cookies kept) and returns the URL the provider redirects back to (our callback, with code and state).
   */
  authorize(authorizationUrl: string): Promise<URL>
  close(): Promise<void>
}

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 with one confidential client registered for
 * `redirectUri`; PKCE is required. Login and consent are answered automatically for the chosen account.
 */
export async function startOidcProvider(opts: {
  redirectUri: string
  accounts: Record<string, TestAccount>
}): Promise<TestOidcProvider> {
  const clientId = 'moneta-test'
  const clientSecret = 'test-client-secret-of-decent-length-0123456789'
  let current = Object.keys(opts.accounts)[0] ?? ''
  let currentAmr = ['pwd']
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = opts.accounts[sub]
      if (!account) return undefined
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: account.email,
          email_verified: account.emailVerified ?? true,
          name: `Test ${sub}`,
        }),
      }
    },
  })
  const handle = provider.callback()
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handle(req, res)
    // The provider asks who signs in, then for consent; this "user" always agrees.
    void (async () => {
      const details = await provider.interactionDetails(req, res)
      if (details.prompt.name === 'login') {
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: current, amr: currentAmr } },
          {
            mergeWithLastSubmission: false,
          },
        )
        return
      }
      const grant = new provider.Grant({ accountId: details.session?.accountId ?? current, clientId })
      const scope = details.params.scope
      grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid')
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        {
          mergeWithLastSubmission: true,
        },
      )
    })().catch((e: unknown) => {
      res.statusCode = 500
      res.end(String(e))
    })
  })

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(subject, amr = ['pwd']) {
      current = subject
      currentAmr = amr
    },
    async authorize(authorizationUrl) {
      const cookies = new Map<string, string>()
      let url = new URL(authorizationUrl)
      for (let hop = 0; hop < 10; hop++) {
        if (url.href.startsWith(opts.redirectUri)) return url
        const res = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        })
        for (const c of res.headers.getSetCookie()) {
          const [pair] = c.split(';')
          const eq = pair?.indexOf('=') ?? -1
          if (pair && eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
        }
        const location = res.headers.get('location')
        if (!location)
          throw new Error(`the provider answered ${res.status} at ${url.href}: ${await res.text()}`)
        url = new URL(location, url)
      }
      throw new Error('too many redirects at the provider')
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
