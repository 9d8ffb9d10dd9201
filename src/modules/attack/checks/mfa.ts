import { randomInt } from 'node:crypto'
import { describe, type Exchange, type HttpClient } from '../http.js'
import { codeAt, currentStep, isAuthFailed, login, wrongCode, type Victim } from '../operators.js'
import { Findings, type Verdict } from '../report.js'

/** A different made-up client address per guess: per-address limits must not be the only defence. */
const spoofedAddress = (): Record<string, string> => ({
  'x-forwarded-for': `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`,
})

interface Tally {
  attempted: number
  accepted: number
  authFailed: number
  rateLimited: number
  other: number
  messages: Set<string>
  firstOther?: string
}

function tally(t: Tally, res: Exchange): void {
  t.attempted++
  if (res.status === 200 || res.status === 201) t.accepted++
  else if (isAuthFailed(res)) {
    t.authFailed++
    const msg = (res.body as { error?: { message?: string } }).error?.message
    if (msg) t.messages.add(msg)
  } else if (res.status === 429) t.rateLimited++
  else {
    t.other++
    t.firstOther ??= describe(res)
  }
}

const newTally = (): Tally => ({
  attempted: 0,
  accepted: 0,
  authFailed: 0,
  rateLimited: 0,
  other: 0,
  messages: new Set(),
})

/**
 * Guesses TOTP codes for one victim (right password, wrong code). The first `paced` guesses wait out
 * 429s, as a patient attacker would, so they reach the account and the lockout must engage; the rest
 * go `concurrency` at a time and a 429 counts as refused.
 */
async function guess(
  http: HttpClient,
  victim: Victim,
  count: number,
  concurrency: number,
  paced = 0,
): Promise<Tally> {
  const t = newTally()
  const once = async (patient: boolean) =>
    tally(
      t,
      await login(
        http,
        { email: victim.email, password: victim.password, code: wrongCode(victim.totp) },
        spoofedAddress(),
        patient,
      ),
    )
  while (t.attempted < Math.min(paced, count)) await once(true)
  let next = t.attempted
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++
      await once(false)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count - next) }, worker))
  return t
}

/** After lockout, even the right password with the right current code must be refused. */
async function correctAfterLockout(http: HttpClient, victim: Victim, f: Findings): Promise<void> {
  const right = await login(http, {
    email: victim.email,
    password: victim.password,
    code: codeAt(victim.totp, currentStep()),
  })
  f.expect(
    isAuthFailed(right),
    `right password + right current code after the guesses: ${describe(right)} (want 401 AUTH_FAILED: locked)`,
  )
}

function report(f: Findings, t: Tally): void {
  f.figures = {
    attempted: t.attempted,
    accepted: t.accepted,
    authFailed: t.authFailed,
    rateLimited: t.rateLimited,
    other: t.other,
  }
  f.expect(
    t.accepted === 0,
    `${t.attempted} guesses, ${t.accepted} accepted (${t.authFailed} AUTH_FAILED, ${t.rateLimited} 429)`,
  )
  f.expect(
    t.other === 0,
    `no answer other than 401 AUTH_FAILED / 429${t.firstOther ? `; first other: ${t.firstOther}` : ''}`,
  )
  f.expect(
    t.messages.size <= 1,
    `one failure message for every refusal (no oracle): ${[...t.messages].map((m) => JSON.stringify(m)).join(' | ')}`,
  )
}

/** MFA brute force: N wrong codes with the right password, then the right code → still AUTH_FAILED. */
export async function checkMfaBruteForce(
  admin: HttpClient,
  victim: Victim,
  guesses: number,
): Promise<Verdict> {
  const f = new Findings()
  f.note(`victim ${victim.email} (MFA active) created with the admin key`)
  const t = await guess(admin, victim, guesses, 1)
  report(f, t)
  await correctAfterLockout(admin, victim, f)
  f.note(
    `${t.attempted} guesses: ${t.accepted} accepted, ${t.authFailed} AUTH_FAILED, ${t.rateLimited} rate-limited (429)`,
  )
  return f.verdict()
}

/** The 100,000-guess simulation: many guesses, concurrently, against one account; 0 may succeed. */
export async function checkMassGuessing(
  admin: HttpClient,
  victim: Victim,
  guesses: number,
  concurrency = 32,
): Promise<Verdict> {
  const f = new Findings()
  const started = performance.now()
  // 15 patient guesses: past the lockout threshold (10) even when the sign-in rate limit answers first.
  const t = await guess(admin, victim, guesses, concurrency, 15)
  const seconds = (performance.now() - started) / 1000
  report(f, t)
  f.figures.seconds = Number(seconds.toFixed(1))
  f.figures.perSecond = Math.round(t.attempted / seconds)
  await correctAfterLockout(admin, victim, f)
  f.note(
    `${t.attempted} guesses in ${seconds.toFixed(1)} s (${Math.round(t.attempted / seconds)}/s, ${concurrency} at a time): ` +
      `${t.accepted} accepted, ${t.authFailed} AUTH_FAILED, ${t.rateLimited} rate-limited (429), ${t.other} other`,
  )
  return f.verdict()
}

/** TOTP replay: a valid code accepted once is refused the second time; same for a recovery code. */
export async function checkTotpReplay(admin: HttpClient, victim: Victim): Promise<Verdict> {
  const f = new Findings()
  // The activation used its step's code, so any later step's code is unused. Victims are made before
  // the first check and the checks before this one can take minutes, so the step after activation
  // may have left the ±1 window: take the step after the later of activation and now (inside ±1).
  const code = codeAt(victim.totp, Math.max(victim.activationStep, currentStep()) + 1)
  const creds = { email: victim.email, password: victim.password, code }
  const first = await login(admin, creds)
  f.expect(first.status === 200, `fresh TOTP code: ${describe(first)} (want 200)`)
  const second = await login(admin, creds)
  f.expect(isAuthFailed(second), `same code again: ${describe(second)} (want 401 AUTH_FAILED)`)
  const activationCode = codeAt(victim.totp, victim.activationStep)
  const reuseActivation = await login(admin, { ...creds, code: activationCode })
  f.expect(
    isAuthFailed(reuseActivation),
    `code already used to activate MFA: ${describe(reuseActivation)} (want 401 AUTH_FAILED)`,
  )
  const recovery = victim.recoveryCodes[0]
  if (
    f.expect(recovery !== undefined, `activation returned ${victim.recoveryCodes.length} recovery codes`) &&
    recovery
  ) {
    const r1 = await login(admin, { ...creds, code: recovery })
    f.expect(r1.status === 200, `recovery code, first use: ${describe(r1)} (want 200)`)
    const r2 = await login(admin, { ...creds, code: recovery })
    f.expect(isAuthFailed(r2), `recovery code, second use: ${describe(r2)} (want 401 AUTH_FAILED)`)
  }
  return f.verdict()
}
