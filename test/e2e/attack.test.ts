import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  checkTotpReplay,
  createHttpClient,
  createVictim,
  runAttack,
  type AttackReport,
} from '../../src/modules/attack/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`

// The whole `moneta attack` suite, over real HTTP, against the app listening on a port.
for (const target of testDbTargets()) {
  describe(`moneta attack against the app [${target.name}]`, () => {
    let t: TestApp
    let report: AttackReport
    let lateReplay: Awaited<ReturnType<typeof checkTotpReplay>>
    let analyticsDir: string
    beforeAll(async () => {
      analyticsDir = mkdtempSync(join(tmpdir(), 'moneta-attack-analytics-'))
      t = await createTestApp(target, {
        ownDatabase: true,
        env: {
          MONETA_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
          // The login rate limit would answer 429 before the lockout shows; here the lockout is under test.
          MONETA_RATE_LIMIT_LOGIN: '1000000',
          MONETA_RATE_LIMIT_PER_ADDRESS: '1000000',
          // The export worker runs often, so the cross-tenant check's analytics seeder finds A's
          // monitored transaction in the fraud queries (and probes B against it) instead of polling
          // them for its whole 8 s and seeding nothing.
          MONETA_ANALYTICS_EXPORT_MS: '300',
          MONETA_ANALYTICS_DIR: analyticsDir,
        },
      })
      // Webhooks are applied by the inbox worker, as in `moneta start`.
      t.app.startWorkers()
      const url = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
      // Before the attack: its guesses lock sign-in from this address. Victims are made before the
      // first check, and the checks before totp-replay take minutes in CI, so the step after
      // activation may have left the ±1 window by the time the replay check signs in.
      const admin = createHttpClient(url, t.bootstrapApiKey)
      const late = await createVictim(admin, 'late')
      lateReplay = await checkTotpReplay(admin, { ...late, activationStep: late.activationStep - 4 })
      report = await runAttack({
        target: url,
        apiKey: t.bootstrapApiKey,
        sandboxWebhookSecret: WEBHOOK_SECRET,
        mfaGuesses: 300,
      })
    }, 600_000)
    afterAll(async () => {
      await t?.close()
      rmSync(analyticsDir, { recursive: true, force: true })
    })

    const check = (id: string) => {
      const c = report.checks.find((x) => x.id === id)
      if (!c) throw new Error(`no check ${id}`)
      return c
    }

    it.each([
      'credentials',
      'cross-tenant',
      'payment-tampering',
      'idempotency-replay',
      'webhook-forgery',
      'rule-redos',
      'webhook-ssrf',
      'privilege-escalation',
      'detokenize-wildcard',
      'totp-replay',
      'mfa-brute-force',
      'mfa-guesses',
    ])('%s passes', (id) => {
      const c = check(id)
      expect(c.status, c.evidence.join('\n')).toBe('PASS')
    })

    it('guesses against an MFA account: none accepted, and the lockout refuses even the right code', () => {
      for (const id of ['mfa-brute-force', 'mfa-guesses']) {
        const f = check(id).figures ?? {}
        expect(f.accepted).toBe(0)
        expect(f.attempted).toBe(id === 'mfa-guesses' ? 300 : 25)
        expect(check(id).evidence.some((e) => e.startsWith('ok') && e.includes('right current code'))).toBe(
          true,
        )
      }
    })

    it('the TOTP replay check holds for a victim enrolled minutes before it runs', () => {
      expect(lateReplay.ok, lateReplay.evidence.join('\n')).toBe(true)
    })

    it("seeded tenant A's exported analytics, so B's fraud queries were probed against it", () => {
      expect(check('cross-tenant').evidence.some((e) => e.includes('fraud query fan_out'))).toBe(true)
    })

    it('probed every guarded operation of the OpenAPI document with every bad credential', () => {
      const f = check('credentials').figures ?? {}
      expect(Number(f.guarded)).toBeGreaterThan(30)
      expect(f.requests).toBe(Number(f.guarded) * Number(f.variants))
    })
  })
}
