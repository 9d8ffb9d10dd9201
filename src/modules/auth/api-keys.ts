import type { AuthAuditPort } from './audit-port.js'
import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import { DEFAULT_TENANT, generateApiKey, hashApiKey, type Platform } from '../platform/index.js'
import { apiKeyNotFound, apiKeyScopeInvalid, grantNotHeld } from './auth.errors.js'
import { effectiveGrants, isRole, isValidGrant, missingGrants, type Role } from './permissions.js'
import type { Grantor } from './sessions.js'

export interface ApiKeyInfo {
  readonly id: string
  readonly name: string | null
  /** First characters of the key, to recognise it in a list. */
  readonly prefix: string
  readonly scopes: readonly string[]
  readonly role: Role | null
  readonly createdAt: Date
  /** Set on a rotated key: it keeps working until then. */
  readonly expiresAt: Date | null
  readonly replacedBy: string | null
}

export interface NewApiKey extends ApiKeyInfo {
  /** The key itself, shown once; only its SHA-256 is stored. */
  readonly key: string
}

export interface CreateKeyInput {
  readonly name: string
  readonly scopes: readonly string[]
  readonly role?: Role | undefined
}

/** Longest overlap a rotation may give the old key. */
export const MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 3600
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600

interface KeyRow {
  key_id: string
  name: string | null
  prefix: string
  scopes: string[]
  role: string | null
  created_at: Date
  expires_at: Date | null
  replaced_by: string | null
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.key_id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  role: r.role && isRole(r.role) ? r.role : null,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  replacedBy: r.replaced_by,
})

/**
 * Creating, rotating and revoking a key all need every grant the key carries, so key management
 * never escalates privilege (a key scoped `api_keys:admin` cannot revoke the admin key either).
 */
function checkGrants(creator: Grantor, scopes: readonly string[], role: Role | undefined): void {
  const bad = scopes.filter((s) => !isValidGrant(s))
  if (bad.length > 0) throw apiKeyScopeInvalid(`Unknown scope ${bad.map((b) => `"${b}"`).join(', ')}.`)
  const missing = missingGrants(creator.scopes, effectiveGrants(role, scopes))
  if (missing.length > 0) throw grantNotHeld(missing)
}

export function createApiKeys(deps: {
  db: Db
  clock: Clock
  ids: IdGenerator
  platform: Platform
  audit?: AuthAuditPort | undefined
}) {
  const { db, clock } = deps

  async function insert(
    tenant: string,
    input: CreateKeyInput,
    createdBy: string,
    tx: Db,
  ): Promise<NewApiKey> {
    const key = generateApiKey()
    const id = deps.ids('key')
    const createdAt = clock.now()
    await sql`
      INSERT INTO api_keys (tenant_id, key_id, key_hash, prefix, scopes, name, role, created_by, created_at)
      VALUES (${tenant}, ${id}, ${hashApiKey(key)}, ${key.slice(0, 7)}, ${[...input.scopes]}, ${input.name},
              ${input.role ?? null}, ${createdBy}, ${createdAt})`.execute(tx)
    return {
      id,
      key,
      name: input.name,
      prefix: key.slice(0, 7),
      scopes: input.scopes,
      role: input.role ?? null,
      createdAt,
      expiresAt: null,
      replacedBy: null,
    }
  }

  /** A key change's entry, written in the change's transaction. */
  const audit = async (
    tx: Db,
    tenant: string,
    actor: string,
    action: string,
    resource: string,
    details = {},
  ) =>
    deps.audit?.recordIn(tx, { tenant, actor, action, resource, outcome: 'success', origin: 'api', details })

  return {
    async create(tenant: string, input: CreateKeyInput, creator: Grantor): Promise<NewApiKey> {
      checkGrants(creator, input.scopes, input.role)
      return db.transaction().execute(async (tx) => {
        const created = await insert(tenant, input, creator.actor, tx)
        await audit(tx, tenant, creator.actor, 'auth.api_key.create', created.id, {
          scopes: input.scopes,
          role: input.role,
        })
        return created
      })
    },

    /** Active keys (rotated ones until their overlap ends). */
    async list(tenant: string): Promise<ApiKeyInfo[]> {
      const r = await sql<KeyRow>`
        SELECT key_id, name, prefix, scopes, role, created_at, expires_at, replaced_by FROM api_keys
        WHERE tenant_id = ${tenant} AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${clock.now()})
        ORDER BY created_at, key_id`.execute(db)
      return r.rows.map(toInfo)
    },

    /**
     * A new key with the same name, scopes and role; the old one keeps working for `overlapSeconds`
     * (so clients can switch without downtime), then stops. Both are valid during the overlap.
     */
    async rotate(
      tenant: string,
      keyId: string,
      overlapSeconds: number,
      creator: Grantor,
    ): Promise<NewApiKey> {
      const now = clock.now()
      const created = await db.transaction().execute(async (tx) => {
        const r = await sql<KeyRow>`
          SELECT key_id, name, prefix, scopes, role, created_at, expires_at, replaced_by FROM api_keys
          WHERE tenant_id = ${tenant} AND key_id = ${keyId} AND revoked_at IS NULL
            AND (expires_at IS NULL OR expires_at > ${now})
          FOR UPDATE`.execute(tx)
        const old = r.rows[0]
        if (!old) throw apiKeyNotFound(keyId)
        const role = old.role && isRole(old.role) ? old.role : undefined
        checkGrants(creator, old.scopes, role)
        const next = await insert(
          tenant,
          { name: old.name ?? 'rotated', scopes: old.scopes, role },
          creator.actor,
          tx,
        )
        const until = new Date(now.getTime() + overlapSeconds * 1000)
        await sql`
          UPDATE api_keys SET expires_at = least(coalesce(expires_at, ${until}), ${until}), replaced_by = ${next.id}
          WHERE tenant_id = ${tenant} AND key_id = ${keyId}`.execute(tx)
        await audit(tx, tenant, creator.actor, 'auth.api_key.rotate', keyId, {
          replacedBy: next.id,
          overlapSeconds,
        })
        return next
      })
      deps.platform.forgetApiKeys()
      return created
    },

    async revoke(tenant: string, keyId: string, creator: Grantor): Promise<void> {
      const r = await sql<KeyRow>`
        SELECT key_id, name, prefix, scopes, role, created_at, expires_at, replaced_by FROM api_keys
        WHERE tenant_id = ${tenant} AND key_id = ${keyId} AND revoked_at IS NULL`.execute(db)
      const key = r.rows[0]
      if (!key) throw apiKeyNotFound(keyId)
      checkGrants(creator, key.scopes, key.role && isRole(key.role) ? key.role : undefined)
      await db.transaction().execute(async (tx) => {
        const r = await sql`
          UPDATE api_keys SET revoked_at = ${clock.now()}
          WHERE tenant_id = ${tenant} AND key_id = ${keyId} AND revoked_at IS NULL`.execute(tx)
        if (Number(r.numAffectedRows ?? 0n) !== 1) throw apiKeyNotFound(keyId)
        await audit(tx, tenant, creator.actor, 'auth.api_key.revoke', keyId)
      })
      deps.platform.forgetApiKeys()
    },

    /** Revokes every key an operator created (offboarding); returns how many. */
    async revokeCreatedBy(tenant: string, actor: string, tx: Db = db): Promise<number> {
      const r = await sql`
        UPDATE api_keys SET revoked_at = ${clock.now()}
        WHERE tenant_id = ${tenant} AND created_by = ${actor} AND revoked_at IS NULL`.execute(tx)
      return Number(r.numAffectedRows ?? 0n)
    },

    /** A new tenant and its first admin key (the platform owner's bootstrap key calls this). */
    async createTenant(
      name: string,
      creator: Grantor,
    ): Promise<{ id: string; name: string; apiKey: string }> {
      const id = deps.ids('ten')
      await deps.platform.ensureTenant(id, name)
      const key = await db.transaction().execute(async (tx) => {
        const k = await insert(id, { name: 'admin', scopes: ['*'] }, creator.actor, tx)
        await audit(tx, DEFAULT_TENANT, creator.actor, 'platform.tenant.create', id, { name })
        return k
      })
      return { id, name, apiKey: key.key }
    },

    /**
     * Makes a default-tenant key the platform owner's (`platform:admin`, which `*` does not imply): the
     * bootstrap key printed by `npm start` or set as MONETA_API_KEY.
     */
    async grantPlatformAdmin(plaintext: string): Promise<void> {
      await sql`
        UPDATE api_keys SET scopes = array_append(scopes, 'platform:admin')
        WHERE key_hash = ${hashApiKey(plaintext)} AND tenant_id = ${DEFAULT_TENANT}
          AND NOT ('platform:admin' = ANY (scopes))`.execute(db)
      deps.platform.forgetApiKeys()
    },
  }
}

export type ApiKeys = ReturnType<typeof createApiKeys>
