import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import { systemClock, type Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import { newId } from '../../shared/ids.js'

export const DEFAULT_TENANT = 'ten_default'

export interface ApiKeyPrincipal {
  readonly tenantId: string
  readonly keyId: string
  readonly scopes: readonly string[]
  /** Role whose grants the key also holds (set by auth's key management; see src/modules/auth). */
  readonly role?: string | undefined
}

export interface Platform {
  ensureTenant(tenantId: string, name: string): Promise<void>
  /** Every tenant id (scheduled jobs that serve all tenants, e.g. sanctions list refresh). */
  tenantIds(): Promise<string[]>
  /** Creates a key and returns it in clear once; only its SHA-256 is stored. */
  createApiKey(tenantId: string, opts?: { scopes?: string[]; plaintext?: string }): Promise<string>
  /** Registers a known key (MONETA_API_KEY) unless it is already stored. Returns true when added. */
  ensureApiKey(tenantId: string, plaintext: string): Promise<boolean>
  countApiKeys(tenantId: string): Promise<number>
  authenticate(plaintext: string): Promise<ApiKeyPrincipal | undefined>
  revokeApiKey(tenantId: string, keyId: string): Promise<boolean>
  /**
   * Drops every key this process remembers from `authenticate`: called by whatever changes a stored
   * key (revocation, rotation, offboarding, scopes), so this process reads the change at once.
   */
  forgetApiKeys(): void
}

export interface PlatformOptions {
  /**
   * How long `authenticate` may answer a key it found from memory instead of PostgreSQL (ms; 0: read
   * every request). Another process's revocation reaches this one within that time.
   */
  readonly apiKeyCacheMs?: number
}

/** At most this many keys remembered; past it the memory starts over (keys are few, clients many). */
const API_KEY_CACHE_MAX = 10_000

/** API keys are 192-bit random, so a fast hash is enough: there is nothing to brute-force. */
export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key).digest()
const hashKey = hashApiKey

export function generateApiKey(): string {
  return `mk_${randomBytes(24).toString('base64url')}`
}

export function createPlatform(db: Db, clock: Clock = systemClock, opts: PlatformOptions = {}): Platform {
  const q = <T>(query: ReturnType<typeof sql<T>>) => query.execute(db)
  const cacheMs = opts.apiKeyCacheMs ?? 0
  // Found keys only: an unknown or revoked key is read again each time, so a new key works at once.
  const known = new Map<string, { principal: ApiKeyPrincipal; expiresAt: Date | null; readAt: number }>()
  return {
    async ensureTenant(tenantId, name) {
      await q(sql`INSERT INTO tenants (tenant_id, name) VALUES (${tenantId}, ${name}) ON CONFLICT DO NOTHING`)
    },
    async tenantIds() {
      const r = await q(sql<{ tenant_id: string }>`SELECT tenant_id FROM tenants ORDER BY tenant_id`)
      return r.rows.map((x) => x.tenant_id)
    },
    async createApiKey(tenantId, opts = {}) {
      const key = opts.plaintext ?? generateApiKey()
      await q(sql`
        INSERT INTO api_keys (tenant_id, key_id, key_hash, prefix, scopes)
        VALUES (${tenantId}, ${newId('key')}, ${hashKey(key)}, ${key.slice(0, 7)}, ${opts.scopes ?? ['*']})`)
      return key
    },
    async ensureApiKey(tenantId, plaintext) {
      const found = await q(
        sql`SELECT 1 FROM api_keys WHERE key_hash = ${hashKey(plaintext)} AND tenant_id = ${tenantId}`,
      )
      if (found.rows.length > 0) return false
      await this.createApiKey(tenantId, { plaintext })
      return true
    },
    async countApiKeys(tenantId) {
      const r = await q<{ n: bigint }>(
        sql`SELECT count(*) AS n FROM api_keys WHERE tenant_id = ${tenantId} AND revoked_at IS NULL`,
      )
      return Number(r.rows[0]?.n ?? 0n)
    },
    async authenticate(plaintext) {
      const hash = hashKey(plaintext)
      const now = clock.now()
      // Every authenticated request used to read its key: one round trip in each, ~a third of the
      // round trips of an asynchronous payment's 202 (issue #18). The memory keeps the key's expiry,
      // so a rotated key still stops at the end of its overlap.
      const memo = cacheMs > 0 ? known.get(hash.toString('base64')) : undefined
      if (memo && performance.now() - memo.readAt < cacheMs && (!memo.expiresAt || memo.expiresAt > now))
        return memo.principal
      // expires_at and role are added by auth's migration 0601 (a rotated key works until its overlap ends).
      const r = await q<{
        tenant_id: string
        key_id: string
        key_hash: Buffer
        scopes: string[]
        role: string | null
        expires_at: Date | null
      }>(sql`
        SELECT tenant_id, key_id, key_hash, scopes, role, expires_at FROM api_keys
        WHERE key_hash = ${hash} AND revoked_at IS NULL
          AND (expires_at IS NULL OR expires_at > ${now}) LIMIT 1`)
      const row = r.rows[0]
      // The index lookup already matched; compare again in constant time so a future change
      // to prefix lookups cannot turn this into a timing oracle.
      if (!row || !timingSafeEqual(Buffer.from(row.key_hash), hash)) return undefined
      const principal = {
        tenantId: row.tenant_id,
        keyId: row.key_id,
        scopes: row.scopes,
        role: row.role ?? undefined,
      }
      if (cacheMs > 0) {
        if (known.size >= API_KEY_CACHE_MAX) known.clear()
        known.set(hash.toString('base64'), {
          principal,
          expiresAt: row.expires_at,
          readAt: performance.now(),
        })
      }
      return principal
    },
    async revokeApiKey(tenantId, keyId) {
      known.clear()
      const r = await q(sql`
        UPDATE api_keys SET revoked_at = now() WHERE tenant_id = ${tenantId} AND key_id = ${keyId} AND revoked_at IS NULL`)
      known.clear()
      return (r.numAffectedRows ?? 0n) > 0n
    },
    forgetApiKeys: () => known.clear(),
  }
}
