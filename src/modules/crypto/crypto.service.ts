import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import { createFieldCipher, type FieldCipher } from './field-cipher.js'
import { createKeyring, type KeyInfo, type Keyring } from './keyring.service.js'
import { loadLocalKeyStore, localKeyStore, type KeyStore } from './keystore.js'
import { reencryptField, type ReencryptOptions, type ReencryptResult } from './reencrypt.js'
import { SYSTEM_TENANT } from './keyring.store.js'
import { createVault, type AuditSink, type Vault } from './vault.service.js'

export interface Crypto {
  readonly keyring: Keyring
  readonly fieldCipher: FieldCipher
  readonly vault: Vault
  /** Re-encrypts every registered field (or one, `table.column`) under the primary key. */
  reencrypt(opts?: ReencryptOptions & { field?: string }): Promise<ReencryptResult[]>
  /** Keys, their usage, and how many rows of each registered field each key still protects. */
  status(): Promise<{
    keys: KeyInfo[]
    fields: { field: string; rowsByKey: Record<string, number>; error?: string }[]
  }>
  /** Connects the audit log once it exists (it needs the keyring's signing key first). */
  useAudit(sink: AuditSink): void
}

export interface CryptoDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger | undefined
  readonly keyStore: KeyStore
  readonly usageLimit?: bigint
  readonly reserveBlock?: number
  readonly detokenizeRoles?: readonly string[]
}

export async function createCrypto(deps: CryptoDeps): Promise<Crypto> {
  let sink: AuditSink | undefined
  const audit: AuditSink = {
    record: (e) => sink?.record(e),
    recordIn: (tx, e) => sink?.recordIn(tx, e) ?? Promise.resolve(),
  }
  const keyring = await createKeyring({
    db: deps.db,
    keyStore: deps.keyStore,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.usageLimit !== undefined ? { usageLimit: deps.usageLimit } : {}),
    ...(deps.reserveBlock !== undefined ? { reserveBlock: deps.reserveBlock } : {}),
    onRotate: ({ from, to, reason }) =>
      audit.record({
        tenant: SYSTEM_TENANT,
        actor: 'system',
        action: 'crypto.key.rotate',
        resource: `key:${to}`,
        outcome: 'success',
        origin: 'keyring',
        details: { from: from ?? null, to, reason, kekId: deps.keyStore.kekId },
      }),
  })
  const fieldCipher = createFieldCipher(keyring)
  const vault = createVault({
    db: deps.db,
    fieldCipher,
    clock: deps.clock,
    ids: deps.ids,
    audit,
    ...(deps.detokenizeRoles ? { detokenizeRoles: deps.detokenizeRoles } : {}),
  })
  return {
    keyring,
    fieldCipher,
    vault,
    async reencrypt(opts = {}) {
      const fields = fieldCipher
        .fields()
        .filter((f) => !opts.field || `${f.table}.${f.column}` === opts.field)
      const out: ReencryptResult[] = []
      for (const f of fields)
        out.push(await reencryptField({ db: deps.db, keyring, clock: deps.clock }, f, opts))
      return out
    },
    async status() {
      const keys = await keyring.list()
      const fields: { field: string; rowsByKey: Record<string, number>; error?: string }[] = []
      for (const f of fieldCipher.fields()) {
        const col = sql.id(f.column)
        let r
        try {
          r = await sql<{ k: Buffer; n: bigint }>`
            SELECT substring(${col} from 2 for 4) AS k, count(*) AS n FROM ${sql.id(f.table)}
            WHERE ${col} IS NOT NULL GROUP BY 1`.execute(deps.db)
        } catch (e) {
          // A registered column whose table is not there (yet): say so, keep reporting the rest.
          fields.push({ field: `${f.table}.${f.column}`, rowsByKey: {}, error: (e as Error).message })
          continue
        }
        const rowsByKey: Record<string, number> = {}
        for (const row of r.rows) {
          const k = Buffer.from(row.k)
          rowsByKey[k.length === 4 ? String(k.readUInt32BE(0)) : 'malformed'] = Number(row.n)
        }
        fields.push({ field: `${f.table}.${f.column}`, rowsByKey })
      }
      return { keys, fields }
    },
    useAudit(s) {
      sink = s
    },
  }
}

/**
 * The local key store as configured: MONETA_MASTER_KEY, else MONETA_MASTER_KEY_FILE, else
 * `<dataDir>/master.key` (created on first start, with a warning).
 */
export function masterKeyStore(
  env: { MONETA_MASTER_KEY?: string | undefined; MONETA_MASTER_KEY_FILE?: string | undefined },
  dataDir: string,
  logger?: Logger,
): KeyStore {
  if (!env.MONETA_MASTER_KEY && !env.MONETA_MASTER_KEY_FILE && dataDir.startsWith('memory://')) {
    // An in-memory database lives as long as the process: so does its master key.
    return localKeyStore(randomBytes(32))
  }
  const { store, source, generated } = loadLocalKeyStore({
    masterKey: env.MONETA_MASTER_KEY || undefined,
    masterKeyFile: env.MONETA_MASTER_KEY_FILE || undefined,
    defaultKeyFile: join(dataDir, 'master.key'),
  })
  if (generated)
    logger?.warn(
      { file: source, kekId: store.kekId },
      'crypto: generated a master key file; set MONETA_MASTER_KEY in production and back it up',
    )
  return store
}
