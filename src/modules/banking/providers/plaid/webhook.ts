/**
 * Plaid webhook verification: the Plaid-Verification header is an ES256 JWT whose kid names a key
 * served by /webhook_verification_key/get; its claims carry iat and the SHA-256 of the body.
 * Checks: algorithm ES256 only, signature, key not expired, iat at most 5 minutes old, body hash.
 */
import {
  createHash,
  createPublicKey,
  timingSafeEqual,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto'
import { bankingError } from '../../banking.errors.js'
import type { ProviderWebhook } from '../../provider.js'

export const MAX_WEBHOOK_AGE_SECONDS = 5 * 60
const KEY_TTL_MS = 24 * 3_600_000

export interface PlaidJwk {
  readonly kid: string
  readonly kty: string
  readonly crv: string
  readonly x: string
  readonly y: string
  readonly alg: string
  readonly expired_at?: number | null
}

const invalid = (why: string) => bankingError('BANK_WEBHOOK_INVALID', `Plaid webhook refused: ${why}.`)

function decodeJson(part: string | undefined): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
  } catch {
    // reported below
  }
  throw invalid('the Plaid-Verification token is malformed')
}

const SYNC_CODES = new Set([
  'SYNC_UPDATES_AVAILABLE',
  'DEFAULT_UPDATE',
  'INITIAL_UPDATE',
  'HISTORICAL_UPDATE',
  'TRANSACTIONS_REMOVED',
])

/** What a verified Plaid webhook asks of the service. */
export function plaidWebhookAction(body: Record<string, unknown>): ProviderWebhook['action'] {
  const type = typeof body.webhook_type === 'string' ? body.webhook_type : ''
  const code = typeof body.webhook_code === 'string' ? body.webhook_code : ''
  if (type === 'TRANSACTIONS' && SYNC_CODES.has(code)) return { kind: 'sync' }
  if (type === 'ITEM' && code === 'ERROR') {
    const error = (body.error ?? {}) as { error_code?: string; error_message?: string }
    return {
      kind: 'item_error',
      code: error.error_code ?? 'ITEM_ERROR',
      message: error.error_message ?? 'item error',
    }
  }
  if (type === 'ITEM' && code === 'USER_PERMISSION_REVOKED')
    return { kind: 'item_error', code, message: 'The customer revoked access.' }
  if (type === 'ITEM' && code === 'LOGIN_REPAIRED') return { kind: 'item_repaired' }
  return { kind: 'ignore', type: `${type}.${code}` }
}

/**
 * Key lookups are calls to Plaid's API, which counts them against our quota, and the kid comes
 * from an unauthenticated request: an unknown kid is remembered (negative cache), and lookups of
 * kids not seen before are limited per minute, so forged webhooks cannot spend the quota.
 */
export const UNKNOWN_KID_TTL_MS = 10 * 60_000
export const KEY_LOOKUPS_PER_MINUTE = 10
const NEGATIVE_CACHE_MAX = 10_000
const KID_RE = /^[A-Za-z0-9_-]{1,64}$/

export function createPlaidWebhookVerifier(deps: {
  fetchKey: (kid: string) => Promise<PlaidJwk>
  now: () => Date
}): (rawBody: Buffer, headers: Readonly<Record<string, string | undefined>>) => Promise<ProviderWebhook> {
  const cache = new Map<string, { key: KeyObject; expired: boolean; fetchedAt: number }>()
  const unknown = new Map<string, number>() // kid → until when it is known to be unknown
  let windowStart = 0
  let lookups = 0

  function mayLookUp(now: number): boolean {
    if (now - windowStart >= 60_000) {
      windowStart = now
      lookups = 0
    }
    return ++lookups <= KEY_LOOKUPS_PER_MINUTE
  }

  async function keyFor(kid: string) {
    const now = deps.now().getTime()
    const hit = cache.get(kid)
    if (hit && now - hit.fetchedAt < KEY_TTL_MS) return hit
    if ((unknown.get(kid) ?? 0) > now) throw invalid('unknown key id')
    if (!KID_RE.test(kid)) throw invalid('the key id is malformed')
    if (!mayLookUp(now)) {
      throw bankingError(
        'BANK_PROVIDER_UNAVAILABLE',
        'Plaid webhook not verified now: too many key lookups this minute; it will be accepted on retry.',
      )
    }
    let jwk: PlaidJwk
    try {
      jwk = await deps.fetchKey(kid)
    } catch (err) {
      // An unknown kid is a forgery; anything else (network) is the provider's problem: retry later.
      if ((err as { vendorCode?: string }).vendorCode === 'INVALID_WEBHOOK_VERIFICATION_KEY_ID') {
        if (unknown.size >= NEGATIVE_CACHE_MAX) unknown.delete(unknown.keys().next().value!)
        unknown.set(kid, now + UNKNOWN_KID_TTL_MS)
        throw invalid('unknown key id')
      }
      throw err
    }
    if (jwk.alg !== 'ES256' || jwk.kty !== 'EC' || jwk.crv !== 'P-256')
      throw invalid('the key is not an ES256 key')
    const entry = {
      key: createPublicKey({
        key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JsonWebKey,
        format: 'jwk',
      }),
      expired: jwk.expired_at !== null && jwk.expired_at !== undefined,
      fetchedAt: deps.now().getTime(),
    }
    cache.set(kid, entry)
    return entry
  }

  return async (rawBody, headers) => {
    const token = headers['plaid-verification']
    if (!token) throw invalid('no Plaid-Verification header')
    const parts = token.split('.')
    if (parts.length !== 3) throw invalid('the Plaid-Verification token is malformed')
    const [h, p, s] = parts as [string, string, string]
    const header = decodeJson(h)
    if (header.alg !== 'ES256') throw invalid('the token is not signed with ES256')
    if (typeof header.kid !== 'string' || !header.kid) throw invalid('the token names no key')
    const key = await keyFor(header.kid)
    if (key.expired) throw invalid('the signing key has expired')
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: key.key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    )
    if (!ok) throw invalid('the signature does not verify')
    const claims = decodeJson(p)
    const iat = claims.iat
    const nowSeconds = deps.now().getTime() / 1000
    if (
      typeof iat !== 'number' ||
      nowSeconds - iat > MAX_WEBHOOK_AGE_SECONDS ||
      iat - nowSeconds > MAX_WEBHOOK_AGE_SECONDS
    )
      throw invalid('the token is older than 5 minutes')
    const want = createHash('sha256').update(rawBody).digest()
    const claimed = Buffer.from(
      typeof claims.request_body_sha256 === 'string' ? claims.request_body_sha256 : '',
      'hex',
    )
    if (claimed.length !== want.length || !timingSafeEqual(claimed, want))
      throw invalid('the body hash does not match')
    let body: Record<string, unknown>
    try {
      body = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>
    } catch {
      throw invalid('the body is not JSON')
    }
    return {
      // Plaid's webhooks carry no id; the signed token is unique per delivery, so a replay of the
      // same request is recognised (and a retry, newly signed, is processed again: syncs are idempotent).
      dedupKey: createHash('sha256').update(token).digest('hex'),
      providerItemId: typeof body.item_id === 'string' ? body.item_id : null,
      action: plaidWebhookAction(body),
    }
  }
}
