import { performance } from 'node:perf_hooks'
import { allMigrations, allRoutines } from '../src/migrations.js'
import {
  CLI_GRANTOR,
  createAuth,
  createPasswordHasher,
  DEFAULT_HASH_PARAMS,
  stepAt,
  totpCode,
  type HashParams,
} from '../src/modules/auth/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { createPlatform } from '../src/modules/platform/index.js'
import { fixedClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- auth [--runs N] [--memory-kib N] [--passes N]
 *
 * What an operator's sign-in costs: argon2id hash and verify at the configured cost (default the
 * production one, 19 MiB × 3 passes), then the whole sign-in through the auth service on embedded
 * PGlite (password only, and password + TOTP code). Target: a hash of 50–100 ms on a quiet machine.
 */
const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const log = (s: string): void => void process.stdout.write(`${s}\n`)

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number) => Number(s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1))
  return { p50: at(0.5), p95: at(0.95), min: Number(s[0]!.toFixed(1)) }
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    out.push(performance.now() - t)
  }
  return out
}

export async function main(args: string[]): Promise<void> {
  const runs = Number(arg(args, 'runs') ?? 20)
  const params: HashParams = {
    memoryKiB: Number(arg(args, 'memory-kib') ?? DEFAULT_HASH_PARAMS.memoryKiB),
    passes: Number(arg(args, 'passes') ?? DEFAULT_HASH_PARAMS.passes),
    parallelism: 1,
  }
  log(`argon2id ${params.memoryKiB} KiB × ${params.passes} passes, ${runs} runs each`)
  const hasher = createPasswordHasher(params)
  let stored = await hasher.hash('violet-otter-harbour-42')
  const hash = stats(await timed(runs, async () => (stored = await hasher.hash('violet-otter-harbour-42'))))
  log(`hash    ${JSON.stringify(hash)}`)
  const verify = stats(await timed(runs, () => hasher.verify(stored, 'a-wrong-password-12')))
  log(`verify  ${JSON.stringify(verify)}`)

  const db = await connect({ dataDir: 'memory://' })
  await migrateToLatest(db.db, allMigrations, allRoutines)
  const clock = fixedClock(new Date())
  const crypto = await throwawayCrypto(db.db, clock)
  const platform = createPlatform(db.db, clock)
  const auth = createAuth({
    db: db.db,
    clock,
    ids: systemIds,
    platform,
    fieldCipher: crypto.fieldCipher,
    hashParams: params,
  })
  const tenant = newId('ten')
  await platform.ensureTenant(tenant, tenant)
  const password = 'violet-otter-harbour-42'
  const auditor = await auth.createOperator(
    tenant,
    { email: `a-${tenant}@example.com`, password, role: 'auditor' },
    CLI_GRANTOR,
  )
  const loginPassword = stats(
    await timed(runs, () => auth.login({ email: auditor.email, password }, '192.0.2.1')),
  )
  log(`sign-in (password)        ${JSON.stringify(loginPassword)}`)

  const analyst = await auth.createOperator(
    tenant,
    { email: `b-${tenant}@example.com`, password, role: 'analyst' },
    CLI_GRANTOR,
  )
  const first = await auth.login({ email: analyst.email, password }, '192.0.2.1')
  const principal = (await auth.authenticate(first.token))!
  const { secret } = await auth.startMfaEnrolment(principal)
  await auth.activateMfa(principal, totpCode(secret, stepAt(clock.now())))
  const loginTotp = stats(
    await timed(runs, async () => {
      clock.advance(30_000) // a fresh step each time: a used one is refused
      await auth.login(
        { email: analyst.email, password, code: totpCode(secret, stepAt(clock.now())) },
        '192.0.2.1',
      )
    }),
  )
  log(`sign-in (password + TOTP) ${JSON.stringify(loginTotp)}`)
  const session = stats(await timed(runs * 10, () => auth.authenticate(first.token)))
  log(`session token check       ${JSON.stringify(session)}`)
  await db.close()
  log(
    JSON.stringify({
      bench: 'auth',
      argon2: params,
      runs,
      hashMs: hash,
      verifyMs: verify,
      loginPasswordMs: loginPassword,
      loginTotpMs: loginTotp,
      sessionCheckMs: session,
    }),
  )
}
