import { createCipheriv, createSecretKey, randomBytes, randomFillSync } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { allMigrations, allRoutines } from '../src/migrations.js'
import { createAudit } from '../src/modules/audit/index.js'
import { throwawayCrypto } from './throwaway-crypto.js'
import { systemClock } from '../src/shared/clock.js'
import { connect } from '../src/shared/db/connect.js'
import { migrateToLatest } from '../src/shared/db/migrate.js'
import { systemIds } from '../src/shared/ids.js'

/**
 * npm run bench -- crypto [--seconds N] [--appends N] [--verify-entries N] [--postgres URL | --pglite]
 *
 * One core (the event loop): field encryption and decryption through the real FieldCipher
 * (keyring, usage budget, AAD, key commitment) next to raw node:crypto AES-256-GCM on the same
 * plaintext as the ceiling; audit appends persisted through the real queue/batch path; then
 * `verify` over a log of --verify-entries entries. Database: PostgreSQL from --postgres, else
 * DATABASE_URL / MONETA_TEST_DATABASE_URL, else (or with --pglite) embedded PGlite in memory.
 * The audit tenants it creates on PostgreSQL are deleted at the end.
 */
const arg = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const num = (args: string[], name: string, fallback: number): number => Number(arg(args, name) ?? fallback)
const log = (s: string): void => void process.stdout.write(`${s}\n`)

type Kind = 'raw' | 'encrypt' | 'decrypt' | 'blind'

/**
 * Interleaved slices (raw, encrypt, decrypt, blind, raw, …) so that load from other processes on a
 * shared machine hits every variant alike; each rate = total ops / total time of its slices.
 */
async function interleaved(
  seconds: number,
  batch: number,
  fns: Record<Kind, () => Promise<void> | void>,
): Promise<Record<Kind, number>> {
  const kinds = Object.keys(fns) as Kind[]
  for (const k of kinds) for (let i = 0; i < 3; i++) await fns[k]() // warm-up
  const ops: Record<string, number> = {}
  const ms: Record<string, number> = {}
  const slice = 250
  const rounds = Math.max(1, Math.round((seconds * 1000) / slice))
  for (let r = 0; r < rounds; r++) {
    for (const k of kinds) {
      const start = performance.now()
      let n = 0
      while (performance.now() - start < slice) {
        await fns[k]()
        n += batch
      }
      ops[k] = (ops[k] ?? 0) + n
      ms[k] = (ms[k] ?? 0) + (performance.now() - start)
    }
  }
  const out = {} as Record<Kind, number>
  for (const k of kinds) out[k] = Math.round(ops[k]! / (ms[k]! / 1000))
  return out
}

export async function main(args: string[]): Promise<void> {
  const seconds = num(args, 'seconds', 3)
  const appends = num(args, 'appends', 200_000)
  const verifyEntries = num(args, 'verify-entries', 1_000_000)
  const pgUrl = args.includes('--pglite')
    ? undefined
    : (arg(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.MONETA_TEST_DATABASE_URL)
  const h = await connect(pgUrl ? { databaseUrl: pgUrl, poolSize: 4 } : {})
  await migrateToLatest(h.db, allMigrations, allRoutines)
  log(`crypto bench on ${h.engine}, node ${process.version}, ${seconds}s per throughput run`)

  const crypto = await throwawayCrypto(h.db)
  const { fieldCipher } = crypto
  const tenant = systemIds('ten_bench')
  const plaintext = Buffer.from('Ada Lovelace, 12 St James Sq, London') // a typical personal field (36 bytes)
  const ctx = { table: 'customers', column: 'name', row: 'cus_0193f7a0c2d47f6b9a1e3c5d7f9b1d3e' }
  const B = 1000

  // Ceiling: raw AES-256-GCM, one createCipheriv per value, 12-byte nonce from a pooled CSPRNG, an AAD of
  // the same size as the field format's (49-byte header + bound context), 16-byte tag; no framing.
  const key = createSecretKey(randomBytes(32)) // a KeyObject, as the keyring holds keys: the fastest raw call
  const aad = randomBytes(
    49 + Buffer.byteLength(`${tenant.length}:${tenant}|9:customers|4:name|${ctx.row.length}:${ctx.row}`),
  )
  const nonces = Buffer.alloc(12 * B)
  const samples = await Promise.all(
    Array.from({ length: B }, () => fieldCipher.encrypt(tenant, ctx, plaintext)),
  )
  const r = await interleaved(seconds, B, {
    raw: () => {
      randomFillSync(nonces)
      for (let i = 0; i < B; i++) {
        const c = createCipheriv('aes-256-gcm', key, nonces.subarray(i * 12, i * 12 + 12), {
          authTagLength: 16,
        })
        c.setAAD(aad)
        c.update(plaintext)
        c.final()
        c.getAuthTag()
      }
    },
    encrypt: async () => {
      for (let i = 0; i < B; i++) await fieldCipher.encrypt(tenant, ctx, plaintext)
    },
    decrypt: async () => {
      for (let i = 0; i < B; i++) await fieldCipher.decrypt(tenant, ctx, samples[i]!)
    },
    blind: () => {
      for (let i = 0; i < B; i++)
        fieldCipher.blindIndex(tenant, { table: 'customers', column: 'email' }, `user${i}@example.com`)
    },
  })
  const raw = r.raw
  const enc = r.encrypt
  const dec = r.decrypt
  log(`raw node:crypto AES-256-GCM:       ${raw.toLocaleString('en-US')} encryptions/s (ceiling)`)
  log(
    `fieldCipher.encrypt:               ${enc.toLocaleString('en-US')} /s (${Math.round((enc / raw) * 100)}% of raw)`,
  )
  log(
    `fieldCipher.decrypt:               ${dec.toLocaleString('en-US')} /s (${Math.round((dec / raw) * 100)}% of raw)`,
  )
  log(`fieldCipher.blindIndex:            ${r.blind.toLocaleString('en-US')} /s`)

  // Audit appends, persisted: record() on the caller's path, batches + signed checkpoints in the background.
  const keys = crypto.keyring.auditKeys()
  const audit = createAudit({ db: h.db, clock: systemClock, keys, batchMax: 5000, flushMs: 5 })
  const atenant = systemIds('ten_bench')
  // Not awaited one by one: like concurrent requests, the records of a moment share one intake INSERT.
  const record = (i: number, t: string): Promise<void> =>
    audit.record({
      tenant: t,
      actor: `apikey:key_0193f7a0c2d47f6b9a1e3c5d7f9b${i % 100}`,
      action: 'payments.intent.capture',
      resource: `pay_0193f7a0c2d47f6b9a1e3c5d7f9b${i}`,
      outcome: 'success',
      origin: '203.0.113.7',
      details: { amount: String(1000 + i), currency: 'EUR' },
    })
  let t0 = performance.now()
  let recordMs = 0
  for (let i = 0; i < appends; i++) {
    const r0 = performance.now()
    void record(i, atenant)
    recordMs += performance.now() - r0
    if (i % 20_000 === 19_999) await new Promise((r) => setImmediate(r)) // let the flusher run, like a server would
  }
  await audit.flush()
  const appendSecs = (performance.now() - t0) / 1000
  const appendEps = Math.round(appends / appendSecs)
  const cps = (await audit.checkpoints(atenant)).length
  log(
    `audit appends (persisted):         ${appendEps.toLocaleString('en-US')} entries/s (${appends.toLocaleString('en-US')} in ${appendSecs.toFixed(2)}s, ${cps} signed checkpoints; record() itself ${((recordMs * 1000) / appends).toFixed(2)} µs on the caller's path)`,
  )

  // Verify over a large log.
  const vtenant = systemIds('ten_bench')
  log(`filling a log of ${verifyEntries.toLocaleString('en-US')} entries for verify…`)
  t0 = performance.now()
  for (let i = 0; i < verifyEntries; i++) {
    void record(i, vtenant)
    if (i % 20_000 === 19_999) {
      await audit.flush()
      if (i % 200_000 === 199_999)
        log(
          `  ${(i + 1).toLocaleString('en-US')} (${Math.round((i + 1) / ((performance.now() - t0) / 1000)).toLocaleString('en-US')}/s)`,
        )
    }
  }
  await audit.flush()
  t0 = performance.now()
  const report = await audit.verify(vtenant)
  const verifySecs = (performance.now() - t0) / 1000
  log(
    `audit verify over ${report.entries.toLocaleString('en-US')} entries: ${verifySecs.toFixed(2)}s, ok=${report.ok}, ${report.checkpointsVerified}/${report.checkpoints} checkpoints`,
  )
  if (!report.ok || report.entries !== verifyEntries)
    throw new Error(`verify failed: ${JSON.stringify(report.findings.slice(0, 5))}`)

  if (pgUrl) {
    for (const t of [atenant, vtenant]) {
      await sql`DELETE FROM audit_entries WHERE tenant_id = ${t}`.execute(h.db)
      await sql`DELETE FROM audit_checkpoints WHERE tenant_id = ${t}`.execute(h.db)
      await sql`DELETE FROM audit_heads WHERE tenant_id = ${t}`.execute(h.db)
    }
  }
  await audit.close()
  await h.close()
  log(
    JSON.stringify({
      bench: 'crypto',
      encrypt_ops: enc,
      decrypt_ops: dec,
      raw_gcm_ops: raw,
      audit_append_eps: appendEps,
      verify_1m_s: Number(verifySecs.toFixed(2)),
    }),
  )
}
