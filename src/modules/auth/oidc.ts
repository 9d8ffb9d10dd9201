/**
 * OpenID Connect sign-in (authorization code flow with PKCE, state and nonce) as an option beside
 * password + TOTP. The identity provider vouches for the email; the email must belong to an existing
 * operator unless auto-provisioning is configured. The flow's secrets (state, nonce, PKCE verifier)
 * travel in an encrypted, short-lived, HttpOnly cookie, so any API process can finish a flow another
 * one started and a callback without the browser that started the flow fails (login CSRF).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import * as client from 'openid-client'
import { AppError } from '../../shared/errors.js'

export interface OidcSettings {
  /** Issuer URL; https, or http on a loopback address (a local provider in tests). */
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret: string
  /** Our callback, registered at the provider: https://moneta.example/v1/auth/oidc/callback */
  readonly redirectUri: string
  /** Scopes asked for (default openid email profile). */
  readonly scopes?: readonly string[]
  /** How long a started flow may take (default 10 minutes). */
  readonly flowTtlSeconds?: number
}

/** What the provider's ID token says, once its signature, issuer, audience, expiry and nonce are checked. */
export interface VerifiedIdentity {
  readonly issuer: string
  readonly subject: string
  readonly email: string
  readonly emailVerified: boolean
  readonly name: string | undefined
  readonly claims: Readonly<Record<string, unknown>>
}

export interface OidcStart {
  /** Where to send the browser (302). */
  readonly redirectTo: string
  /** Value of the flow cookie to set (see FLOW_COOKIE). */
  readonly cookie: string
  readonly cookieMaxAgeSeconds: number
}

export interface OidcClient {
  start(): Promise<OidcStart>
  /** Exchanges the code and validates the ID token. OIDC_STATE_INVALID · AUTH_FAILED · OIDC_UNAVAILABLE. */
  finish(callbackUrl: URL, cookie: string | undefined): Promise<VerifiedIdentity>
}

export const FLOW_COOKIE = 'moneta_oidc'

export const oidcStateInvalid = (why: string): AppError =>
  new AppError(
    'OIDC_STATE_INVALID',
    'invalid',
    `The sign-in flow cannot be finished (${why}); start again at /v1/auth/oidc/start.`,
  )
export const oidcUnavailable = (cause: unknown): AppError =>
  new AppError('OIDC_UNAVAILABLE', 'unavailable', 'The identity provider cannot be reached; try again.', {
    cause,
  })
export const oidcNotConfigured = (): AppError =>
  new AppError(
    'OIDC_NOT_CONFIGURED',
    'not_found',
    'OpenID Connect sign-in is not configured (MONETA_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI).',
  )
/** The provider said no, or its answer did not verify: one answer for all, like password sign-in. */
const oidcFailed = (cause: unknown): AppError =>
  new AppError('AUTH_FAILED', 'unauthorized', 'Sign-in with the identity provider failed.', { cause })

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname)
}

interface FlowState {
  readonly state: string
  readonly nonce: string
  readonly verifier: string
  readonly expiresAt: number
}

/** AES-256-GCM with a key derived from the client secret: only this deployment can read or mint it. */
function flowSealer(clientSecret: string) {
  const key = Buffer.from(hkdfSync('sha256', clientSecret, 'moneta-oidc', 'flow-cookie', 32))
  return {
    seal(flow: FlowState): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()])
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    },
    open(sealed: string): FlowState | undefined {
      try {
        const raw = Buffer.from(sealed, 'base64url')
        if (raw.length < 29) return undefined
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
        decipher.setAuthTag(raw.subarray(raw.length - 16))
        const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()])
        return JSON.parse(text.toString('utf8')) as FlowState
      } catch {
        return undefined
      }
    },
  }
}

export function createOidcClient(settings: OidcSettings, deps: { now?: () => number } = {}): OidcClient {
  const now = deps.now ?? Date.now
  const issuer = new URL(settings.issuer)
  const insecure = issuer.protocol === 'http:'
  if (insecure && !isLoopbackUrl(issuer)) {
    throw new Error('The OIDC issuer must use https (plain http only on a loopback address).')
  }
  const ttl = settings.flowTtlSeconds ?? 600
  const sealer = flowSealer(settings.clientSecret)
  let discovered: Promise<client.Configuration> | undefined

  // Discovery once, lazily; a failed discovery is retried on the next sign-in rather than cached.
  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(
        issuer,
        settings.clientId,
        { redirect_uris: [settings.redirectUri], response_types: ['code'] },
        client.ClientSecretBasic(settings.clientSecret),
        {
          ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
          timeout: 10,
        },
      )
      .catch((e: unknown) => {
        discovered = undefined
        throw oidcUnavailable(e)
      })
    return discovered
  }

  return {
    async start() {
      const config = await configuration()
      const flow: FlowState = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        expiresAt: now() + ttl * 1000,
      }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: (settings.scopes ?? ['openid', 'email', 'profile']).join(' '),
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
      })
      return { redirectTo: url.href, cookie: sealer.seal(flow), cookieMaxAgeSeconds: ttl }
    },

    async finish(callbackUrl, cookie) {
      if (!cookie) throw oidcStateInvalid('no sign-in flow cookie: cookies blocked, or a different browser')
      const flow = sealer.open(cookie)
      if (!flow) throw oidcStateInvalid('the flow cookie is not ours')
      if (flow.expiresAt < now()) throw oidcStateInvalid('the flow expired')
      if (callbackUrl.searchParams.get('state') !== flow.state) {
        throw oidcStateInvalid('state does not match this browser’s flow')
      }
      const config = await configuration()
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        })
      } catch (e) {
        throw oidcFailed(e)
      }
      const idToken = tokens.claims()
      if (!idToken) throw oidcFailed(new Error('no ID token'))
      let claims: Record<string, unknown> = { ...idToken }
      // Providers that keep scope claims out of the ID token serve them at UserInfo, for the same subject.
      if (typeof claims.email !== 'string') {
        try {
          claims = { ...(await client.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...idToken }
        } catch (e) {
          throw oidcFailed(e)
        }
      }
      const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : ''
      if (!email) throw oidcFailed(new Error('the provider gives no email (ask for the email scope)'))
      return {
        issuer: idToken.iss,
        subject: idToken.sub,
        email,
        emailVerified: claims.email_verified === true,
        name: typeof claims.name === 'string' ? claims.name : undefined,
        claims,
      }
    },
  }
}

/** RFC 8176 authentication methods that are a second factor (or phishing-resistant on their own). */
export const SECOND_FACTOR_AMR: ReadonlySet<string> = new Set([
  'mfa',
  'otp',
  'hwk',
  'swk',
  'sc',
  'pop',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
  'sms',
  'tel',
])

export interface OidcOperator {
  readonly id: string
  readonly tenantId: string
  readonly email: string
  readonly role: string
  /** Set while sign-in is locked after repeated failures: the provider does not lift Moneta's lock. */
  readonly lockedUntil?: Date | null
}

export interface OidcSignInPolicy {
  /** Create an operator with this role for an unknown (verified) email; undefined: refuse unknown emails. */
  readonly autoProvisionRole: string | undefined
  /** Tenant of auto-provisioned operators. */
  readonly tenant: string
  /** Roles that need a second factor; the provider must assert one in `amr` for these. */
  readonly mfaRoles: ReadonlySet<string>
}

/** What OIDC sign-in needs from operators and sessions (the auth service provides it). */
export interface OidcAccounts {
  findOperatorByEmail(email: string): Promise<OidcOperator | undefined>
  provisionOperator(tenant: string, email: string, role: string): Promise<OidcOperator>
  /** A session for an operator the provider vouched for (with its second factor where required). */
  issueSession(operator: OidcOperator, origin: string): Promise<{ token: string; expiresAt: Date }>
}

export type OidcRefusal =
  | 'email_not_verified'
  | 'unknown_operator'
  | 'operator_disabled'
  | 'operator_locked'
  | 'second_factor_missing'

/**
 * Maps a verified identity to an operator and signs it in. Every refusal is the same AUTH_FAILED
 * to the caller; `onRefused` gets the reason for the log.
 */
export async function signInWithOidc(
  who: VerifiedIdentity,
  accounts: OidcAccounts,
  policy: OidcSignInPolicy,
  origin: string,
  onRefused: (reason: OidcRefusal, who: VerifiedIdentity) => void = () => undefined,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date; operator: OidcOperator; provisioned: boolean }> {
  const refuse = (reason: OidcRefusal): never => {
    onRefused(reason, who)
    throw oidcFailed(new Error(reason))
  }
  // An unverified email is anyone's claim: mapping it would let a provider account take over an operator.
  if (!who.emailVerified) refuse('email_not_verified')
  let operator = await accounts.findOperatorByEmail(who.email)
  let provisioned = false
  if (!operator) {
    if (!policy.autoProvisionRole) return refuse('unknown_operator')
    operator = await accounts.provisionOperator(policy.tenant, who.email, policy.autoProvisionRole)
    provisioned = true
  }
  // A lock means someone is guessing this operator's password or codes: it holds for every way in.
  if (operator.lockedUntil && operator.lockedUntil > now) refuse('operator_locked')
  const amr = Array.isArray(who.claims.amr) ? who.claims.amr.filter((m) => typeof m === 'string') : []
  if (policy.mfaRoles.has(operator.role) && !amr.some((m) => SECOND_FACTOR_AMR.has(m))) {
    refuse('second_factor_missing')
  }
  const session = await accounts.issueSession(operator, origin)
  return { ...session, operator, provisioned }
}
