import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { HOTP, Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

/** RFC 6238 as every authenticator app expects it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
/** Steps accepted either side of now (clock drift between the phone and the server). */
export const TOTP_WINDOW = 1

export const stepAt = (at: Date): number => Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS)

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** The code for one time step (tests and `moneta` use it to compute the code an app would show). */
export function totpCode(secretBase32: string, step: number): string {
  return HOTP.generate({
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    counter: step,
  })
}

/**
 * The time step a code belongs to, within ±TOTP_WINDOW of `at`, or undefined. Every candidate is
 * compared in constant time and all are compared, so timing does not say which step (if any) matched.
 */
export function matchTotp(secretBase32: string, code: string, at: Date): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined
  const given = Buffer.from(code)
  const now = stepAt(at)
  let matched: number | undefined
  for (let step = now - TOTP_WINDOW; step <= now + TOTP_WINDOW; step++) {
    const expected = Buffer.from(totpCode(secretBase32, step))
    if (timingSafeEqual(expected, given) && matched === undefined) matched = step
  }
  return matched
}

export interface Enrolment {
  readonly secret: string
  readonly otpauthUri: string
  readonly qrSvg: string
  readonly qrDataUrl: string
}

/** The otpauth:// URI and its QR code, as authenticator apps scan them. */
export async function enrolment(secretBase32: string, account: string, issuer: string): Promise<Enrolment> {
  const totp = new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  })
  const otpauthUri = totp.toString()
  const [qrSvg, qrDataUrl] = await Promise.all([
    QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M' }),
    QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M' }),
  ])
  return { secret: secretBase32, otpauthUri, qrSvg, qrDataUrl }
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789' // no 0/o, 1/l/i

/** Ten single-use recovery codes of 10 characters (about 49 bits each), shown once. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(10)
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]!).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/** Looks like a recovery code (as typed: any case, dash optional). */
export const normalizeRecoveryCode = (code: string): string | undefined => {
  const compact = code.trim().toLowerCase().replace(/-/g, '')
  return /^[a-z0-9]{10}$/.test(compact) ? `${compact.slice(0, 5)}-${compact.slice(5)}` : undefined
}

/**
 * Recovery codes are stored as SHA-256: each has ~49 bits from a CSPRNG and online guesses are capped by
 * the lockout, so a slow hash would add sign-in latency (ten candidates) without adding safety.
 */
export const hashRecoveryCode = (code: string): Buffer => createHash('sha256').update(code).digest()
