import { checkMissingCredentials } from './checks/credentials.js'
import {
  checkDetokenizeWildcard,
  checkPrivilegeEscalation,
  checkRuleRedos,
  checkWebhookSsrf,
} from './checks/hardening.js'
import { checkMassGuessing, checkMfaBruteForce, checkTotpReplay } from './checks/mfa.js'
import { checkIdempotencyReplay, checkPaymentTampering } from './checks/payments.js'
import { checkCrossTenant, createSecondTenant } from './checks/tenants.js'
import { checkWebhookForgery } from './checks/webhooks.js'
import { createHttpClient, type HttpClient } from './http.js'
import { createVictim, type Victim } from './operators.js'
import type { AttackReport, CheckResult, Verdict } from './report.js'

export interface AttackOptions {
  readonly target: string
  /** Admin key of the target's default tenant (the bootstrap key); without it only anonymous checks run. */
  readonly apiKey?: string
  readonly sandboxWebhookSecret?: string
  /** Wrong codes tried by the brute-force check (default 25: the lockout engages at 10). */
  readonly bruteForceGuesses?: number
  /** When set, also the mass-guessing simulation with this many guesses (e.g. 100000). */
  readonly mfaGuesses?: number
  /** Only the checks whose id starts with one of these. */
  readonly only?: readonly string[]
  readonly onResult?: (r: CheckResult) => void
}

interface Check {
  readonly id: string
  readonly title: string
  readonly run: () => Promise<Verdict>
}

const noKey = (): Promise<Verdict> =>
  Promise.resolve({ ok: false, evidence: ["BAD  needs --api-key (the target's admin key)"] })

export async function runAttack(opts: AttackOptions): Promise<AttackReport> {
  const startedAt = new Date().toISOString()
  const anon = createHttpClient(opts.target, null)
  const admin: HttpClient | undefined = opts.apiKey ? createHttpClient(opts.target, opts.apiKey) : undefined
  // Victims are made up front: once guessing starts, this address may be locked out of sign-in.
  const victims = new Map<string, Promise<Victim>>()
  const victim = (label: string): Promise<Victim> => {
    if (!admin) return Promise.reject(new Error('needs --api-key'))
    let v = victims.get(label)
    if (!v) {
      v = createVictim(admin, label)
      v.catch(() => undefined)
      victims.set(label, v)
    }
    return v
  }
  const withAdmin = (fn: (a: HttpClient) => Promise<Verdict>) => () => (admin ? fn(admin) : noKey())
  const checks: Check[] = [
    {
      id: 'credentials',
      title: 'missing or invalid credentials on every OpenAPI operation → 401',
      run: () => checkMissingCredentials(anon, opts.apiKey),
    },
    {
      id: 'cross-tenant',
      title: "tenant B's key on tenant A's objects → 404, A unchanged",
      run: withAdmin(async (a) =>
        checkCrossTenant(a, a.as((await createSecondTenant(a)).apiKey), {
          ...(opts.sandboxWebhookSecret ? { sandboxWebhookSecret: opts.sandboxWebhookSecret } : {}),
        }),
      ),
    },
    {
      id: 'payment-tampering',
      title: 'amount/currency tampering, bad amounts, over-capture/refund',
      run: withAdmin(checkPaymentTampering),
    },
    {
      id: 'idempotency-replay',
      title: 'same Idempotency-Key, different body → 409',
      run: withAdmin(checkIdempotencyReplay),
    },
    {
      id: 'webhook-forgery',
      title: 'unsigned, wrong-secret, stale, tampered and replayed webhooks',
      run: withAdmin((a) => checkWebhookForgery(a, opts.sandboxWebhookSecret)),
    },
    {
      id: 'rule-redos',
      title: "a tenant's '^(a+)+$' rule and one dry-run do not stall the server",
      run: withAdmin((a) => checkRuleRedos(a, anon)),
    },
    {
      id: 'webhook-ssrf',
      title: 'webhook endpoints on loopback, private, metadata and IPv4-in-IPv6 addresses → 400',
      run: withAdmin(checkWebhookSsrf),
    },
    {
      id: 'privilege-escalation',
      title: 'keys and operators beyond the caller’s grants, revoke/rotate from below → 403',
      run: withAdmin(checkPrivilegeEscalation),
    },
    {
      id: 'detokenize-wildcard',
      title: '* and vault:* neither reveal a PAN nor mint vault:detokenize',
      run: withAdmin(async (a) => checkDetokenizeWildcard(a.as((await createSecondTenant(a)).apiKey))),
    },
    {
      id: 'totp-replay',
      title: 'a TOTP or recovery code works once',
      run: withAdmin(async (a) => checkTotpReplay(a, await victim('replay'))),
    },
    {
      id: 'mfa-brute-force',
      title: `${opts.bruteForceGuesses ?? 25} code guesses → none accepted, account locked`,
      run: withAdmin(async (a) => checkMfaBruteForce(a, await victim('brute'), opts.bruteForceGuesses ?? 25)),
    },
  ]
  if (opts.mfaGuesses) {
    const n = opts.mfaGuesses
    checks.push({
      id: 'mfa-guesses',
      title: `${n.toLocaleString('en')} code guesses against one account → 0 accepted`,
      run: withAdmin(async (a) => checkMassGuessing(a, await victim('mass'), n)),
    })
  }
  const selected = checks.filter((c) => !opts.only?.length || opts.only.some((o) => c.id.startsWith(o)))
  // Make every victim before the first guess (the sign-in they need may be locked afterwards).
  if (admin) {
    for (const c of selected) {
      if (c.id === 'totp-replay') await victim('replay').catch(() => undefined)
      if (c.id === 'mfa-brute-force') await victim('brute').catch(() => undefined)
      if (c.id === 'mfa-guesses') await victim('mass').catch(() => undefined)
    }
  }
  const results: CheckResult[] = []
  for (const c of selected) {
    const t0 = performance.now()
    let verdict: Verdict
    try {
      verdict = await c.run()
    } catch (e) {
      const err = e as Error & { cause?: { message?: string } }
      const cause = err.cause?.message ? ` (${err.cause.message})` : ''
      verdict = { ok: false, evidence: [`BAD  ${err.message}${cause}`] }
    }
    const result: CheckResult = {
      id: c.id,
      title: c.title,
      status: verdict.ok ? 'PASS' : 'FAIL',
      evidence: verdict.evidence,
      durationMs: Math.round(performance.now() - t0),
      ...(verdict.figures && Object.keys(verdict.figures).length ? { figures: verdict.figures } : {}),
    }
    results.push(result)
    opts.onResult?.(result)
  }
  const passed = results.filter((r) => r.status === 'PASS').length
  return { target: opts.target, startedAt, passed, failed: results.length - passed, checks: results }
}
