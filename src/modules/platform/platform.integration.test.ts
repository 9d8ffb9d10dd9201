import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import { createPlatform } from './platform.service.js'

const tenantIn = async (platform: ReturnType<typeof createPlatform>) => {
  const tenant = freshTenant()
  await platform.ensureTenant(tenant, 'keys test')
  return tenant
}

/** Revoked behind the process's back, as another API process would: straight in the table. */
const revokeElsewhere = async (db: Parameters<typeof createPlatform>[0], tenant: string) => {
  await sql`UPDATE api_keys SET revoked_at = now() WHERE tenant_id = ${tenant}`.execute(db)
}

describeEachOpenDb('API keys remembered by a process', (db) => {
  it('without memory every request reads the key: a revocation elsewhere counts at once', async () => {
    const platform = createPlatform(db().db, fixedClock(new Date()), { apiKeyCacheMs: 0 })
    const tenant = await tenantIn(platform)
    const key = await platform.createApiKey(tenant)
    expect((await platform.authenticate(key))?.tenantId).toBe(tenant)
    await revokeElsewhere(db().db, tenant)
    expect(await platform.authenticate(key)).toBeUndefined()
  })

  it('answers a found key from memory until its time is up, then reads the revocation', async () => {
    const platform = createPlatform(db().db, fixedClock(new Date()), { apiKeyCacheMs: 150 })
    const tenant = await tenantIn(platform)
    const key = await platform.createApiKey(tenant)
    expect((await platform.authenticate(key))?.tenantId).toBe(tenant)
    await revokeElsewhere(db().db, tenant)
    // Within the window the process has not read the table again.
    expect((await platform.authenticate(key))?.tenantId).toBe(tenant)
    await new Promise((r) => setTimeout(r, 200))
    expect(await platform.authenticate(key)).toBeUndefined()
  })

  it("this process's own revocation and forgetApiKeys take effect at once", async () => {
    const platform = createPlatform(db().db, fixedClock(new Date()), { apiKeyCacheMs: 60_000 })
    const tenant = await tenantIn(platform)
    const a = await platform.createApiKey(tenant)
    const b = await platform.createApiKey(tenant)
    const keyIdOfA = (await platform.authenticate(a))!.keyId
    expect(await platform.revokeApiKey(tenant, keyIdOfA)).toBe(true)
    expect(await platform.authenticate(a)).toBeUndefined()
    expect(await platform.authenticate(b)).toBeDefined()
    // b was changed elsewhere (revoked by another process), then someone here forgot what it knew.
    await revokeElsewhere(db().db, tenant)
    expect(await platform.authenticate(b)).toBeDefined()
    platform.forgetApiKeys()
    expect(await platform.authenticate(b)).toBeUndefined()
  })

  it('a remembered key still stops at its expiry (the end of a rotation overlap)', async () => {
    let now = new Date('2026-06-01T12:00:00Z')
    const clock = { now: () => now }
    const platform = createPlatform(db().db, clock, { apiKeyCacheMs: 60_000 })
    const tenant = await tenantIn(platform)
    const key = await platform.createApiKey(tenant)
    await sql`UPDATE api_keys SET expires_at = ${new Date('2026-06-01T12:00:30Z')} WHERE tenant_id = ${tenant}`.execute(
      db().db,
    )
    expect(await platform.authenticate(key)).toBeDefined()
    now = new Date('2026-06-01T12:00:31Z')
    expect(await platform.authenticate(key)).toBeUndefined()
  })

  it('an unknown key is never remembered: a key made afterwards works on its first request', async () => {
    const platform = createPlatform(db().db, fixedClock(new Date()), { apiKeyCacheMs: 60_000 })
    const tenant = await tenantIn(platform)
    const plaintext = `mk_${freshTenant()}later`
    expect(await platform.authenticate(plaintext)).toBeUndefined()
    await platform.createApiKey(tenant, { plaintext })
    expect((await platform.authenticate(plaintext))?.tenantId).toBe(tenant)
  })
})
