import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createCrypto, localKeyStore } from '../crypto/index.js'
import { createCatalogue, createOutbox } from '../events/index.js'
import { createPlatform } from '../platform/index.js'
import { authEvents } from './auth.events.js'
import { createAuth, type Auth } from './auth.service.js'
import { CLI_GRANTOR } from './sessions.js'
import { createPasswordHasher, type PasswordHasher } from './passwords.js'
import { stepAt, totpCode } from './totp.js'

/** A hasher whose verifications all wait until `n` have started: n sign-ins then race past the lock check. */
function gatedHasher(inner: PasswordHasher, n: number): PasswordHasher {
  let started = 0
  let open!: () => void
  const gate = new Promise<void>((r) => (open = r))
  return {
    ...inner,
    async verify(hash, password) {
      if (++started >= n) open()
      await gate
      return inner.verify(hash, password)
    },
  }
}

const PASSWORD = 'harbour-violet-otter-77'
const CHEAP = { memoryKiB: 1024, passes: 1, parallelism: 1 }

/** Brute-force defences under concurrency, on PGlite and (when configured) on real PostgreSQL. */
describeEachDb('auth service (integration)', (target) => {
  let h: DbHandle
  let auth: Auth
  let authDeps: () => Parameters<typeof createAuth>[0]
  const clock = fixedClock(new Date('2026-04-01T12:00:00Z'))
  beforeAll(async () => {
    // Twenty connections, so the concurrent requests below really race on PostgreSQL.
    h = await openTestDb(target, 24)
    const crypto = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(randomBytes(32)),
    })
    authDeps = () => ({
      db: h.db,
      clock,
      ids: systemIds,
      platform: createPlatform(h.db, clock),
      fieldCipher: crypto.fieldCipher,
      outbox: createOutbox(createCatalogue(authEvents)),
      hashParams: CHEAP,
    })
    auth = createAuth(authDeps())
  }, 180_000) // a whole app (or database) under a loaded CI machine
  afterAll(async () => h.close())

  const newOperator = async (role: 'analyst' | 'auditor' = 'analyst') => {
    const tenant = freshTenant()
    await createPlatform(h.db).ensureTenant(tenant, tenant)
    const op = await auth.createOperator(
      tenant,
      { email: `${tenant}@example.com`, password: PASSWORD, role },
      CLI_GRANTOR,
    )
    return { tenant, op }
  }

  /** Enrols MFA through the service as the HTTP routes do; returns the TOTP secret. */
  const enrol = async (tenant: string, email: string): Promise<string> => {
    const first = await auth.login({ email, password: PASSWORD }, '192.0.2.1')
    const principal = (await auth.authenticate(first.token))!
    const { secret } = await auth.startMfaEnrolment(principal)
    await auth.activateMfa(principal, totpCode(secret, stepAt(clock.now())))
    clock.advance(30_000)
    expect(tenant).toBeTruthy()
    return secret
  }

  it('one TOTP code sent on 20 connections at once signs in exactly once; the others are replays', async () => {
    const { tenant, op } = await newOperator()
    const secret = await enrol(tenant, op.email)
    const code = totpCode(secret, stepAt(clock.now()))
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        auth.login({ email: op.email, password: PASSWORD, code }, `192.0.2.${i}`),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results.filter((x) => x.status === 'rejected')) {
      expect(r.reason).toMatchObject({ code: 'AUTH_FAILED' })
    }
    const reused = await sql<{ n: number | string }>`
      SELECT count(*) AS n FROM event_outbox
      WHERE tenant_id = ${tenant} AND topic = 'auth.mfa.code_reused.v1'`.execute(h.db)
    // Every replay that got past the password is reported and counted as a failure; once ten are counted
    // the account locks and the rest stop before the code check (how many get that far depends on timing).
    const replays = Number(reused.rows[0]!.n)
    expect(replays).toBeGreaterThanOrEqual(1)
    expect(replays).toBeLessThanOrEqual(19)
    if (target.name === 'pglite') expect(replays).toBe(10) // one connection: strictly one after another
  })

  it('20 concurrent wrong passwords count 20 failures and lock the account twice (10, then 20)', async () => {
    const { tenant, op } = await newOperator('auditor')
    // Every attempt has read "not locked" before any failure is counted: an attempt that starts after
    // the lock counts only against its address, so without this gate a loaded machine let the first
    // failures lock the account before the last attempts began (13 counted, one lockout).
    const racing = createAuth({ ...authDeps(), hasher: gatedHasher(createPasswordHasher(CHEAP), 20) })
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        racing.login({ email: op.email, password: `wrong-${i}` }, `198.18.0.${i}`),
      ),
    )
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    const row = await sql<{ failed_count: number; lockout_count: number; locked_until: Date }>`
      SELECT failed_count, lockout_count, locked_until FROM auth_operators
      WHERE tenant_id = ${tenant} AND operator_id = ${op.id}`.execute(h.db)
    expect(row.rows[0]).toMatchObject({ failed_count: 20, lockout_count: 2 })
    // The second lockout in a row lasts twice as long as the first: 60 minutes.
    expect(row.rows[0]!.locked_until.getTime() - clock.now().getTime()).toBe(60 * 60_000)
    const events = await sql<{ n: number | string }>`
      SELECT count(*) AS n FROM event_outbox WHERE tenant_id = ${tenant} AND topic = 'auth.operator.locked.v1'`.execute(
      h.db,
    )
    expect(Number(events.rows[0]!.n)).toBe(2)
    // Locked: the right password fails too, and does not count as a failure.
    await expect(auth.login({ email: op.email, password: PASSWORD }, '198.18.1.1')).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    })
    await auth.unlockOperator(tenant, op.id, 'test')
    const ok = await auth.login({ email: op.email, password: PASSWORD }, '198.18.1.1')
    expect(ok.token).toMatch(/^ses_/)
  })

  it('a slow guesser still locks the account, and the fifth lock in a row holds until an admin unlocks', async () => {
    const { tenant, op } = await newOperator('auditor')
    const fail = (i: number) =>
      expect(
        auth.login({ email: op.email, password: `guess-${i}` }, `198.19.${i % 250}.1`),
      ).rejects.toMatchObject({
        code: 'AUTH_FAILED',
      })
    const lockedFor = async () => {
      const r = await sql<{ locked_until: Date | null }>`
        SELECT locked_until FROM auth_operators WHERE tenant_id = ${tenant} AND operator_id = ${op.id}`.execute(
        h.db,
      )
      const until = r.rows[0]!.locked_until
      return until ? until.getTime() - clock.now().getTime() : 0
    }
    // 9 guesses, a long pause, one more: the count does not restart, so the 10th locks.
    for (let i = 0; i < 9; i++) await fail(i)
    clock.advance(6 * 3_600_000)
    await fail(9)
    expect(await lockedFor()).toBe(30 * 60_000)
    // Waiting out each lock and guessing again: 1 h, 2 h, 4 h, then locked for good.
    for (const expected of [60, 120, 240]) {
      clock.advance((await lockedFor()) + 1000)
      for (let i = 0; i < 10; i++) await fail(i)
      expect(await lockedFor()).toBe(expected * 60_000)
    }
    clock.advance((await lockedFor()) + 1000)
    for (let i = 0; i < 10; i++) await fail(i)
    expect(await lockedFor()).toBeGreaterThan(50 * 365 * 24 * 3_600_000)
    clock.advance(365 * 24 * 3_600_000)
    await expect(auth.login({ email: op.email, password: PASSWORD }, '198.19.255.1')).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    })
    await auth.unlockOperator(tenant, op.id, 'test')
    expect((await auth.login({ email: op.email, password: PASSWORD }, '198.19.255.1')).token).toMatch(/^ses_/)
  })

  it('counts failures per source address across accounts (password spraying)', async () => {
    const address = `203.0.113.${Math.floor(Math.random() * 200)}`
    await sql`DELETE FROM auth_address_failures WHERE address = ${address}`.execute(h.db)
    for (let i = 0; i < 5; i++) {
      await expect(
        auth.login({ email: `nobody${i}@example.com`, password: 'x' }, address),
      ).rejects.toMatchObject({
        code: 'AUTH_FAILED',
      })
    }
    const r = await sql<{ failed_count: number }>`
      SELECT failed_count FROM auth_address_failures WHERE address = ${address}`.execute(h.db)
    expect(r.rows[0]?.failed_count).toBe(5)
  })

  it('a locked account runs no argon2 per attempt, and takes as long as a verification (finding 8)', async () => {
    const real = createPasswordHasher(CHEAP)
    const calls = { verify: 0, dummy: 0, pace: 0 }
    const counting: PasswordHasher = {
      ...real,
      verify: (hash, pw) => (calls.verify++, real.verify(hash, pw)),
      dummyVerify: (pw) => (calls.dummy++, real.dummyVerify(pw)),
      pace: () => (calls.pace++, real.pace()),
    }
    const counted = createAuth({ ...authDeps(), hasher: counting })
    const { op } = await newOperator('auditor')
    for (let i = 0; i < 10; i++) {
      await expect(counted.login({ email: op.email, password: `w-${i}` }, `198.20.0.${i}`)).rejects.toThrow()
    }
    expect(calls.verify).toBe(10)
    for (let i = 0; i < 5; i++) {
      await expect(
        counted.login({ email: op.email, password: PASSWORD }, `198.20.1.${i}`),
      ).rejects.toMatchObject({
        code: 'AUTH_FAILED',
      })
    }
    expect(calls).toEqual({ verify: 10, dummy: 0, pace: 5 })
  })
})
