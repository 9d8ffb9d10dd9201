import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { isAppError } from '../../shared/errors.js'
import { systemIds } from '../../shared/ids.js'
import { createCrypto, localKeyStore, type Crypto } from './index.js'

const clock = fixedClock()
const caller = { actor: 'test', roles: ['vault:detokenize'], origin: 'test' }
const errCode = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p
  } catch (e) {
    return isAppError(e) ? e.code : `non-app:${String(e)}`
  }
  return undefined
}

describeEachDb('keyring and vault', (target) => {
  let h: DbHandle
  const master = randomBytes(32)
  let crypto: Crypto

  beforeAll(async () => {
    h = await openTestDb(target, 8)
    crypto = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(master),
      reserveBlock: 8,
    })
  })
  afterAll(async () => {
    await h.close()
  })

  it('a second process with the same master key shares the keyring; another master key cannot read', async () => {
    const tenant = freshTenant()
    const ctx = { table: 'customers', column: 'name', row: 'cus_1' }
    const ct = await crypto.fieldCipher.encrypt(tenant, ctx, 'Grace Hopper')
    const same = await createCrypto({ db: h.db, clock, ids: systemIds, keyStore: localKeyStore(master) })
    expect(same.keyring.primaryKeyId()).toBe(crypto.keyring.primaryKeyId())
    expect(await same.fieldCipher.decryptString(tenant, ctx, ct)).toBe('Grace Hopper')
    const other = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(randomBytes(32)),
    })
    expect(other.keyring.primaryKeyId()).not.toBe(crypto.keyring.primaryKeyId())
    expect(await errCode(other.fieldCipher.decrypt(tenant, ctx, ct))).toBe('CRYPTO_KEY_UNAVAILABLE')
    // Data keys are stored only wrapped.
    const rows = await sql<{
      wrapped: Buffer
    }>`SELECT wrapped FROM crypto_keys WHERE kek_id = ${crypto.keyring.kekId}`.execute(h.db)
    expect(rows.rows.length).toBeGreaterThanOrEqual(2)
    for (const r of rows.rows) expect(Buffer.from(r.wrapped).length).toBe(1 + 12 + 32 + 16)
  })

  it('binds a column for other modules: encrypt, decrypt, blind index, registered for re-encryption', async () => {
    const tenant = freshTenant()
    const own = await createCrypto({ db: h.db, clock, ids: systemIds, keyStore: localKeyStore(master) })
    const email = own.fieldCipher.field(
      { table: 'customers', column: 'email_ct', idColumn: 'customer_id' },
      { bytes: 12 },
    )
    const ct = await email.encrypt(tenant, 'cus_1', 'Ada@Example.com')
    expect(await email.decryptString(tenant, 'cus_1', ct)).toBe('Ada@Example.com')
    expect(await errCode(email.decrypt(tenant, 'cus_2', ct))).toBe('CRYPTO_INTEGRITY')
    expect(email.index(tenant, ' ada@example.com').equals(email.index(tenant, 'ADA@example.com'))).toBe(true)
    expect(email.index(tenant, 'ada@example.com')).toHaveLength(12)
    expect(own.fieldCipher.fields()).toContainEqual({
      table: 'customers',
      column: 'email_ct',
      idColumn: 'customer_id',
    })
  })

  it('rotation makes a new primary while old keys still decrypt', async () => {
    const tenant = freshTenant()
    const ctx = { table: 't', column: 'c', row: 'r1' }
    const before = crypto.keyring.primaryKeyId()
    const old = await crypto.fieldCipher.encrypt(tenant, ctx, 'before rotation')
    const info = await crypto.keyring.rotate('test')
    expect(info.keyId).toBeGreaterThan(before)
    expect(info.status).toBe('primary')
    const fresh = await crypto.fieldCipher.encrypt(tenant, ctx, 'after rotation')
    expect(fresh.readUInt32BE(1)).toBe(info.keyId)
    expect(old.readUInt32BE(1)).toBe(before)
    expect(await crypto.fieldCipher.decryptString(tenant, ctx, old)).toBe('before rotation')
    expect(await crypto.fieldCipher.decryptString(tenant, ctx, fresh)).toBe('after rotation')
    const listed = (await crypto.keyring.list()).filter(
      (k) => k.kekId === crypto.keyring.kekId && k.purpose === 'field',
    )
    expect(listed.filter((k) => k.status === 'primary').map((k) => k.keyId)).toEqual([info.keyId])
  })

  it('forces a rotation when a key reaches its usage limit, counting across processes', async () => {
    const m = randomBytes(32)
    const a = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(m),
      usageLimit: 20n,
      reserveBlock: 4,
    })
    const b = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(m),
      usageLimit: 20n,
      reserveBlock: 4,
    })
    const first = a.keyring.primaryKeyId()
    const tenant = freshTenant()
    const ctx = { table: 't', column: 'c', row: 'r' }
    const keysUsed = new Set<number>()
    for (let i = 0; i < 30; i++) {
      keysUsed.add((await a.fieldCipher.encrypt(tenant, ctx, `a${i}`)).readUInt32BE(1))
      keysUsed.add((await b.fieldCipher.encrypt(tenant, ctx, `b${i}`)).readUInt32BE(1))
    }
    // 60 encryptions at ≤ 20 per key need at least 3 keys; none may exceed its limit.
    expect(keysUsed.size).toBeGreaterThanOrEqual(3)
    const keys = (await a.keyring.list()).filter((k) => k.kekId === a.keyring.kekId && k.purpose === 'field')
    expect(keys.map((k) => k.keyId)).toContain(first)
    for (const k of keys) expect(k.usage).toBeLessThanOrEqual(k.usageLimit)
    expect(keys.filter((k) => k.usage === 20n).length).toBeGreaterThanOrEqual(2)
    expect(keys.filter((k) => k.status === 'primary')).toHaveLength(1)
  })

  it('tokenizes a card: PAN encrypted, BIN and last four in clear, same card same token', async () => {
    const tenant = freshTenant()
    const t1 = await crypto.vault.tokenize(
      tenant,
      { pan: '4111 1111 1111 1111', expMonth: 12, expYear: 2030 },
      caller,
    )
    expect(t1).toMatchObject({ bin: '411111', last4: '1111', brand: 'visa', panLength: 16, created: true })
    expect(t1.token).toMatch(/^tok_/)
    const t2 = await crypto.vault.tokenize(tenant, { pan: '4111111111111111' }, caller)
    expect(t2.token).toBe(t1.token)
    expect(t2.created).toBe(false)
    const other = await crypto.vault.tokenize(freshTenant(), { pan: '4111111111111111' }, caller)
    expect(other.token).not.toBe(t1.token)
    const raw = await sql<{
      pan_ct: Buffer
    }>`SELECT pan_ct FROM vault_cards WHERE tenant_id = ${tenant}`.execute(h.db)
    expect(Buffer.from(raw.rows[0]!.pan_ct).includes(Buffer.from('4111111111111111'))).toBe(false)
    expect(await crypto.vault.detokenize(tenant, t1.token, caller)).toEqual({
      token: t1.token,
      pan: '4111111111111111',
    })
  })

  it('rejects invalid PANs without echoing them, and detokenizes only for allowed roles', async () => {
    const tenant = freshTenant()
    try {
      await crypto.vault.tokenize(tenant, { pan: '4111111111111112' }, caller)
      expect.unreachable()
    } catch (e) {
      expect(isAppError(e) && e.code).toBe('VAULT_INVALID_PAN')
      expect(String((e as Error).message)).not.toContain('4111111111111112')
    }
    const t = await crypto.vault.tokenize(tenant, { pan: '5555555555554444' }, caller)
    expect(await errCode(crypto.vault.detokenize(tenant, t.token, { ...caller, roles: ['*'] }))).toBe(
      'VAULT_DETOKENIZE_FORBIDDEN',
    )
    expect(await errCode(crypto.vault.detokenize(freshTenant(), t.token, caller))).toBe(
      'VAULT_TOKEN_NOT_FOUND',
    )
  })

  it('a ciphertext copied to another row fails to decrypt', async () => {
    const tenant = freshTenant()
    const a = await crypto.vault.tokenize(tenant, { pan: '4111111111111111' }, caller)
    const b = await crypto.vault.tokenize(tenant, { pan: '5555555555554444' }, caller)
    await sql`UPDATE vault_cards SET pan_ct = (SELECT pan_ct FROM vault_cards WHERE tenant_id = ${tenant} AND token = ${a.token})
              WHERE tenant_id = ${tenant} AND token = ${b.token}`.execute(h.db)
    expect(await errCode(crypto.vault.detokenize(tenant, b.token, caller))).toBe('CRYPTO_INTEGRITY')
    // Truncating the stored tag is caught too.
    await sql`UPDATE vault_cards SET pan_ct = substring(pan_ct from 1 for length(pan_ct) - 4)
              WHERE tenant_id = ${tenant} AND token = ${a.token}`.execute(h.db)
    expect(await errCode(crypto.vault.detokenize(tenant, a.token, caller))).toBe('CRYPTO_INTEGRITY')
  })

  it('re-encryption is resumable and leaves every value readable under the new key', async () => {
    const tenant = freshTenant()
    const pans = [
      '4111111111111111',
      '5555555555554444',
      '378282246310005',
      '6011111111111117',
      '4000056655665556',
      '4242424242424242',
      '5105105105105100',
    ]
    const tokens = new Map<string, string>()
    for (const pan of pans) tokens.set((await crypto.vault.tokenize(tenant, { pan }, caller)).token, pan)
    const target = (await crypto.keyring.rotate('test')).keyId
    const part = await crypto.reencrypt({ field: 'vault_cards.pan_ct', tenant, batchSize: 2, maxBatches: 2 })
    expect(part[0]).toMatchObject({ finished: false, reencrypted: 4 })
    expect(part[0]!.remaining).toBe(3)
    const rest = await crypto.reencrypt({ field: 'vault_cards.pan_ct', tenant, batchSize: 2 })
    expect(rest[0]).toMatchObject({ finished: true, resumed: true, reencrypted: 3, remaining: 0 })
    const status = await crypto.status()
    expect(
      status.fields.find((f) => f.field === 'vault_cards.pan_ct')!.rowsByKey[String(target)],
    ).toBeGreaterThanOrEqual(7)
    for (const [token, pan] of tokens) {
      const row = await sql<{
        pan_ct: Buffer
      }>`SELECT pan_ct FROM vault_cards WHERE tenant_id = ${tenant} AND token = ${token}`.execute(h.db)
      expect(Buffer.from(row.rows[0]!.pan_ct).readUInt32BE(1)).toBe(target)
      expect((await crypto.vault.detokenize(tenant, token, caller)).pan).toBe(pan)
    }
  })
})

describe('rotation and re-encryption under write load', () => {
  describeEachDb('loses and corrupts nothing', (target) => {
    let h: DbHandle
    const table = `crypto_load_${Math.random().toString(36).slice(2, 10)}`
    beforeAll(async () => {
      h = await openTestDb(target, 8)
      await sql`CREATE TABLE ${sql.id(table)} (tenant_id text NOT NULL, id text NOT NULL, secret bytea, PRIMARY KEY (tenant_id, id))`.execute(
        h.db,
      )
    })
    afterAll(async () => {
      await sql`DROP TABLE IF EXISTS ${sql.id(table)}`.execute(h.db)
      await h.close()
    })

    it('writers keep inserting and updating while a rotation and re-encryption run', async () => {
      const master = randomBytes(32)
      // Two "processes": the writers' and the operator's (`moneta keys rotate/reencrypt`).
      const app = await createCrypto({
        db: h.db,
        clock,
        ids: systemIds,
        keyStore: localKeyStore(master),
        reserveBlock: 16,
      })
      const ops = await createCrypto({
        db: h.db,
        clock,
        ids: systemIds,
        keyStore: localKeyStore(master),
        reserveBlock: 16,
      })
      const field = { table, column: 'secret', idColumn: 'id' }
      app.fieldCipher.registerField(field)
      ops.fieldCipher.registerField(field)
      const tenant = freshTenant()
      const expected = new Map<string, string>()
      const ctx = (id: string) => ({ table, column: 'secret', row: id })
      const write = async (id: string, value: string): Promise<void> => {
        const ct = await app.fieldCipher.encrypt(tenant, ctx(id), value)
        await sql`INSERT INTO ${sql.id(table)} (tenant_id, id, secret) VALUES (${tenant}, ${id}, ${ct})
                  ON CONFLICT (tenant_id, id) DO UPDATE SET secret = EXCLUDED.secret`.execute(h.db)
        expected.set(id, value)
      }
      for (let i = 0; i < 150; i++) await write(`row_${String(i).padStart(4, '0')}`, `v0-${i}`)

      let stop = false
      let writes = 0
      const writer = async (w: number): Promise<void> => {
        let n = 0
        while (!stop) {
          const id =
            n % 3 === 0 ? `row_new_${w}_${n}` : `row_${String((n * 7 + w * 13) % 150).padStart(4, '0')}`
          await write(id, `w${w}-${n}`)
          n++
          counted()
          if (n % 5 === 0) await app.keyring.refresh() // as the periodic refresh does in the server
        }
      }
      // Wait on the writers' own count, not on the clock: on a loaded CI machine the rotation can
      // finish before the writers have done much, and the test must still interleave both.
      // The writers wake the waiter themselves: on PGlite their awaits never yield to timers.
      const waiting: Array<{ n: number; resolve: () => void }> = []
      const untilWrites = (n: number): Promise<void> =>
        writes >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))
      const counted = (): void => {
        writes++
        for (const w of waiting.filter((x) => writes >= x.n)) {
          waiting.splice(waiting.indexOf(w), 1)
          w.resolve()
        }
      }
      const writers = [writer(1), writer(2), writer(3)]
      await untilWrites(10)
      const rotated = await ops.keyring.rotate('load test')
      const during = await ops.reencrypt({ field: `${table}.secret`, tenant, batchSize: 20, maxPasses: 2 })
      const writesByEndOfPass = writes
      // Writers that have not refreshed yet still write under the old key after the pass: the
      // final re-encryption must catch those rows too.
      await untilWrites(writesByEndOfPass + 20)
      stop = true
      await Promise.all(writers)
      const after = await ops.reencrypt({ field: `${table}.secret`, tenant, batchSize: 20 })
      expect(during[0]!.reencrypted).toBeGreaterThan(0)
      expect(after[0]).toMatchObject({ finished: true, remaining: 0 })

      const rows = await sql<{
        id: string
        secret: Buffer
      }>`SELECT id, secret FROM ${sql.id(table)} WHERE tenant_id = ${tenant}`.execute(h.db)
      expect(rows.rows.length).toBe(expected.size)
      for (const r of rows.rows) {
        expect(Buffer.from(r.secret).readUInt32BE(1)).toBe(rotated.keyId)
        expect(await app.fieldCipher.decryptString(tenant, ctx(r.id), r.secret)).toBe(expected.get(r.id))
      }
    })
  })
})
