import { randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import { describe, errorCode, field, type Exchange, type HttpClient } from './http.js'

/** An operator the attack made for itself, with what a thief who phished the password would know. */
export interface Victim {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly totp: TOTP
  readonly recoveryCodes: readonly string[]
  /** TOTP step whose code activated MFA (already used). */
  readonly activationStep: number
}

export const STEP_SECONDS = 30

export function currentStep(nowMs = Date.now()): number {
  return Math.floor(nowMs / 1000 / STEP_SECONDS)
}

export function codeAt(totp: TOTP, step: number): string {
  return totp.generate({ timestamp: step * STEP_SECONDS * 1000 })
}

/** A 6-digit code that is none of the codes valid within ±2 steps of now: certainly wrong. */
export function wrongCode(totp: TOTP, rand: () => number = Math.random): string {
  const now = currentStep()
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => codeAt(totp, now + d)))
  for (;;) {
    const c = String(Math.floor(rand() * 1_000_000)).padStart(6, '0')
    if (!valid.has(c)) return c
  }
}

export class SetupError extends Error {}

function need(res: Exchange, status: number, what: string): Exchange {
  if (res.status !== status) {
    throw new SetupError(
      `${what}: ${describe(res)} (want ${status}) ${JSON.stringify(res.body).slice(0, 200)}`,
    )
  }
  return res
}

/**
 * Creates an operator through the API with the admin key, signs in, enrols TOTP and activates it —
 * all as a client would (POST /v1/operators, /v1/auth/login, /v1/auth/mfa/enroll, /v1/auth/mfa/activate).
 */
export async function createVictim(admin: HttpClient, label: string): Promise<Victim> {
  const email = `attack-${label}-${randomBytes(6).toString('hex')}@victim.example`
  const password = `Atk!${randomBytes(18).toString('base64url')}9z`
  const created = need(
    await admin.request('POST', '/v1/operators', { body: { email, password, role: 'operator' } }),
    201,
    'create operator',
  )
  const login = need(
    await admin.request('POST', '/v1/auth/login', { token: null, body: { email, password } }),
    200,
    'first sign-in (password only, before MFA)',
  )
  const session = admin.as(String(field(login, 'token')))
  const enrol = need(await session.request('POST', '/v1/auth/mfa/enroll', { body: {} }), 200, 'MFA enrol')
  const secret = field<string>(enrol, 'secret')
  if (!secret) throw new SetupError('MFA enrol returned no secret')
  const totp = new TOTP({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: STEP_SECONDS,
  })
  const activationStep = currentStep()
  const activated = await session.request('POST', '/v1/auth/mfa/activate', {
    body: { code: codeAt(totp, activationStep) },
  })
  if (activated.status !== 200 && activated.status !== 201) need(activated, 200, 'MFA activate')
  const recoveryCodes = field<string[]>(activated, 'recoveryCodes') ?? []
  return { id: String(field(created, 'id')), email, password, totp, recoveryCodes, activationStep }
}

/** POST /v1/auth/login as an anonymous client. */
export function login(
  http: HttpClient,
  body: { email: string; password: string; code?: string },
  headers: Record<string, string> = {},
  retryRateLimited = true,
): Promise<Exchange> {
  return http.request('POST', '/v1/auth/login', { token: null, body, headers, retryRateLimited })
}

export const isAuthFailed = (x: Exchange): boolean => x.status === 401 && errorCode(x) === 'AUTH_FAILED'
