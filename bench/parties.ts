import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pino from 'pino'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createAudit } from '../src/modules/audit/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { createCatalogue, createOutbox } from '../src/modules/events/index.js'
import { createParties, partiesEvents } from '../src/modules/parties/index.js'
import { createScreening, readListSource, screeningEvents } from '../src/modules/screening/index.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { newId, systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- parties [--count N] [--postgres URL | --pglite]
 *
 * Onboarding latency: `parties.create` end to end — validation, encryption of the personal fields,
 * blind indexes, the insert with its event, then screening every name against a realistic loaded
 * list set (OFAC SDN full file + UN consolidated, ~10,000 entries from ../shared/data/sanctions) and
 * storing the result with its event — one party after another, as an API request would. 1 in 50
 * onboarded names is a listed name (a hit, with its alert). Target (issue 14): p99 < 20 ms.
 *
 * `measureOnboarding` is imported by bench/cases.ts: keep its signature stable.
 */
const SANCTIONS = join(import.meta.dirname, '../../shared/data/sanctions')

const FIRST = [
  'Maria',
  'John',
  'Wei',
  'Fatima',
  'Olga',
  'Ahmed',
  'Sofia',
  'Lukas',
  'Aiko',
  'Carlos',
  'Priya',
  'Kwame',
]
const LAST = [
  'Schmidt',
  'Smith',
  'Zhang',
  'Haddad',
  'Ivanova',
  'Rahman',
  'Rossi',
  'Meyer',
  'Tanaka',
  'Garcia',
  'Patel',
  'Mensah',
]
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!

export interface OnboardingFigures {
  readonly onboardP99Ms: number
  readonly onboardP50Ms: number
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

/** Onboards `count` parties on a fresh database with the lists loaded; latency quantiles in ms. */
export async function measureOnboarding(opts: {
  count: number
  databaseUrl?: string | undefined
  log?: ((line: string) => void) | undefined
}): Promise<OnboardingFigures> {
  const log = opts.log ?? (() => undefined)
  const h = await connect(opts.databaseUrl ? { databaseUrl: opts.databaseUrl, poolSize: 4 } : {})
  try {
    await migrateToLatest(h.db, allMigrations, allRoutines)
    const logger = pino({ level: 'silent' })
    const crypto = await throwawayCrypto(h.db)
    const audit = createAudit({ db: h.db, clock: systemClock, logger, keys: crypto.keyring.auditKeys() })
    const outbox = createOutbox(createCatalogue([...screeningEvents, ...partiesEvents]))
    const screening = createScreening({ db: h.db, clock: systemClock, ids: systemIds, logger, outbox })
    const parties = createParties({
      db: h.db,
      clock: systemClock,
      ids: systemIds,
      outbox,
      fieldCipher: crypto.fieldCipher,
      screening,
      audit,
    })
    const tenant = newId('ten')
    const listed: string[] = []
    for (const dir of ['ofac/sdn-full-2021-07-07', 'un/consolidated-2026-02-27.xml']) {
      const r = await screening.importList(tenant, readListSource(join(SANCTIONS, dir)), { rescreen: false })
      log(`loaded ${r.listId}: ${r.entryCount} entries`)
    }
    for (const s of await screening.listStatus(tenant)) listed.push(s.listId)
    const warm = await screening.warm(tenant)
    log(`index warm: ${warm.entries} entries on lists ${listed.join(', ')}`)
    // Listed names to onboard now and then (real hits): taken from the screening index's own answers.
    const hitNames = ['Khalid Abu Sayyaf', 'Banco Nacional de Cuba', 'Eric Badege', 'Viktor Bout']
    const actor = { actor: 'bench', origin: 'bench' }
    const onboard = async (n: number) => {
      const i = Math.abs(n)
      const hit = n >= 0 && i % 50 === 49
      const person = !hit || i % 2 === 0
      return parties.create(
        tenant,
        {
          kind: person ? 'person' : 'organisation',
          roles: ['customer'],
          details: {
            names: [
              { value: hit ? pick(hitNames) : `${pick(FIRST)} ${pick(LAST)} ${pick(LAST)}`, kind: 'legal' },
            ],
            ...(person
              ? {
                  birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
                  nationalities: [pick(['DE', 'FR', 'US', 'GB', 'NG'])],
                }
              : { nationalities: [] }),
            country: pick(['DE', 'FR', 'US', 'GB', 'BR']),
            addresses: [{ lines: [`${i} Main Street`], city: 'Springfield', country: 'US' }],
            identifiers: [{ type: 'passport', value: `P${String(i).padStart(8, '0')}` }],
          },
          products: i % 10 === 0 ? ['crypto'] : [],
        },
        actor,
        { idempotencyKey: `bench-${n}` },
      )
    }
    for (let i = 0; i < Math.min(50, opts.count); i++) await onboard(-1 - i) // warm-up (JIT, caches)
    const ms: number[] = []
    let hits = 0
    for (let i = 0; i < opts.count; i++) {
      const start = performance.now()
      const r = await onboard(i)
      ms.push(performance.now() - start)
      if (r.party.screeningStatus === 'possible_match') hits++
      if ((i + 1) % 500 === 0) log(`${i + 1}/${opts.count} onboarded`)
    }
    ms.sort((a, b) => a - b)
    log(`${opts.count} onboarded, ${hits} possible matches`)
    await audit.close()
    return { onboardP99Ms: round(quantile(ms, 0.99)), onboardP50Ms: round(quantile(ms, 0.5)) }
  } finally {
    await h.close()
  }
}

const round = (x: number): number => Math.round(x * 100) / 100

const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}

export async function main(args: string[]): Promise<void> {
  const count = Number(arg(args, 'count') ?? 2000)
  const databaseUrl = args.includes('--pglite')
    ? undefined
    : (arg(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.MONETA_TEST_DATABASE_URL)
  const log = (s: string): void => void process.stdout.write(`${s}\n`)
  log(
    `parties bench: onboarding ${count} parties on ${databaseUrl ? 'postgres' : 'pglite'}, node ${process.version}`,
  )
  const f = await measureOnboarding({ count, databaseUrl, log })
  log(
    JSON.stringify({
      bench: 'parties',
      count,
      engine: databaseUrl ? 'postgres' : 'pglite',
      onboard_p50_ms: f.onboardP50Ms,
      onboard_p99_ms: f.onboardP99Ms,
    }),
  )
}
