import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import { CRYPTO_ERRORS, cryptoError } from './crypto.errors.js'
import type { FieldCipher } from './field-cipher.js'
import { cardBrand, normalizePan } from './pan.js'

/** One audit entry as the modules that write it see it (structural, so crypto does not import audit). */
export interface AuditSinkEntry {
  tenant: string
  actor: string
  action: string
  resource: string
  outcome: 'success' | 'failure' | 'denied'
  origin: string
  details?: Record<string, unknown>
}

/**
 * The slice of the audit log the vault and parties write to: `recordIn` inside the change's own
 * transaction (committed or rolled back with it, ADR 0211); `record` where no state changes (a reveal).
 */
export interface AuditSink {
  record(entry: AuditSinkEntry): void
  recordIn(tx: Db, entry: AuditSinkEntry): Promise<void>
}

export interface Caller {
  /** Who asks: `apikey:key_…`, `operator:op_…`, `cli`. */
  readonly actor: string
  /** Roles or scopes held; detokenization needs one of the vault's allowed roles. */
  readonly roles: readonly string[]
  /** Request IP, `cli`, `worker`. */
  readonly origin: string
}

export interface CardToken {
  readonly token: string
  readonly bin: string
  readonly last4: string
  readonly brand: string
  readonly panLength: number
  readonly expMonth: number | null
  readonly expYear: number | null
  readonly createdAt: Date
}

export interface TokenizeInput {
  readonly pan: string
  readonly expMonth?: number | undefined
  readonly expYear?: number | undefined
}

export interface Vault {
  /** Luhn-checks the PAN and returns its token; the same card in a tenant always gets the same token. */
  tokenize(tenant: string, input: TokenizeInput, caller: Caller): Promise<CardToken & { created: boolean }>
  /** Metadata only (BIN, last four, brand): never the PAN. */
  get(tenant: string, token: string): Promise<CardToken>
  /** The PAN, for callers holding an allowed role; every attempt is audited. */
  detokenize(tenant: string, token: string, caller: Caller): Promise<{ token: string; pan: string }>
}

export interface VaultDeps {
  readonly db: Db
  readonly fieldCipher: FieldCipher
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly audit?: AuditSink | undefined
  /** Roles allowed to detokenize (default: the `vault:detokenize` scope only; `*` does not include it). */
  readonly detokenizeRoles?: readonly string[]
}

export const VAULT_PAN_FIELD = { table: 'vault_cards', column: 'pan_ct', idColumn: 'token' } as const
const PAN_INDEX = { table: 'vault_cards', column: 'pan' }

interface CardRow {
  token: string
  pan_ct: Buffer
  bin: string
  last4: string
  brand: string
  pan_length: number
  exp_month: number | null
  exp_year: number | null
  created_at: Date
}

const toCard = (r: CardRow): CardToken => ({
  token: r.token,
  bin: r.bin,
  last4: r.last4,
  brand: r.brand,
  panLength: Number(r.pan_length),
  expMonth: r.exp_month === null ? null : Number(r.exp_month),
  expYear: r.exp_year === null ? null : Number(r.exp_year),
  createdAt: new Date(r.created_at),
})

export function createVault(deps: VaultDeps): Vault {
  const { db, fieldCipher, clock, ids } = deps
  const allowed = new Set(deps.detokenizeRoles ?? ['vault:detokenize'])
  fieldCipher.registerField(VAULT_PAN_FIELD)

  const byToken = async (tenant: string, token: string): Promise<CardRow> => {
    const r = await sql<CardRow>`
      SELECT token, pan_ct, bin, last4, brand, pan_length, exp_month, exp_year, created_at
      FROM vault_cards WHERE tenant_id = ${tenant} AND token = ${token}`.execute(db)
    const row = r.rows[0]
    if (!row) throw cryptoError(CRYPTO_ERRORS.TOKEN_NOT_FOUND, 'not_found', `No card with token ${token}.`)
    return row
  }

  return {
    async tokenize(tenant, input, caller) {
      const pan = normalizePan(input.pan)
      if (!pan) {
        deps.audit?.record({
          tenant,
          actor: caller.actor,
          action: 'vault.card.tokenize',
          resource: 'vault_cards',
          outcome: 'failure',
          origin: caller.origin,
          details: { reason: 'invalid_pan' },
        })
        throw cryptoError(
          CRYPTO_ERRORS.INVALID_PAN,
          'invalid',
          'The card number is not valid: it must be 12 to 19 digits and pass the Luhn check.',
        )
      }
      const { expMonth, expYear } = input
      if (expMonth !== undefined && (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12)) {
        throw cryptoError(
          CRYPTO_ERRORS.INVALID_PAN,
          'invalid',
          'expMonth must be a whole number from 1 to 12.',
        )
      }
      if (expYear !== undefined && (!Number.isInteger(expYear) || expYear < 2000 || expYear > 2100)) {
        throw cryptoError(
          CRYPTO_ERRORS.INVALID_PAN,
          'invalid',
          'expYear must be a four-digit year from 2000 to 2100.',
        )
      }
      const bidx = fieldCipher.blindIndex(tenant, PAN_INDEX, pan, { bytes: 16, normalize: (v) => v })
      const tokenized = (token: string, isNew: boolean): AuditSinkEntry => ({
        tenant,
        actor: caller.actor,
        action: 'vault.card.tokenize',
        resource: token,
        outcome: 'success',
        origin: caller.origin,
        details: { created: isNew },
      })
      const found = await sql<CardRow>`
        SELECT token, pan_ct, bin, last4, brand, pan_length, exp_month, exp_year, created_at
        FROM vault_cards WHERE tenant_id = ${tenant} AND pan_bidx = ${bidx}`.execute(db)
      let row = found.rows[0]
      let created = false
      if (!row) {
        const token = ids('tok')
        const ct = await fieldCipher.encrypt(
          tenant,
          { table: VAULT_PAN_FIELD.table, column: VAULT_PAN_FIELD.column, row: token },
          pan,
        )
        // The new card and its audit entry commit together (ADR 0211).
        row = await db.transaction().execute(async (tx) => {
          const ins = await sql<CardRow>`
            INSERT INTO vault_cards (tenant_id, token, pan_ct, pan_bidx, bin, last4, brand, pan_length, exp_month, exp_year, created_at)
            VALUES (${tenant}, ${token}, ${ct}, ${bidx}, ${pan.slice(0, 6)}, ${pan.slice(-4)}, ${cardBrand(pan)}, ${pan.length},
                    ${expMonth ?? null}, ${expYear ?? null}, ${clock.now()})
            ON CONFLICT (tenant_id, pan_bidx) DO NOTHING
            RETURNING token, pan_ct, bin, last4, brand, pan_length, exp_month, exp_year, created_at`.execute(
            tx,
          )
          const inserted = ins.rows[0]
          if (inserted) await deps.audit?.recordIn(tx, tokenized(inserted.token, true))
          return inserted
        })
        created = !!row
        if (!row) {
          // A concurrent request tokenized the same card first.
          const again = await sql<CardRow>`
            SELECT token, pan_ct, bin, last4, brand, pan_length, exp_month, exp_year, created_at
            FROM vault_cards WHERE tenant_id = ${tenant} AND pan_bidx = ${bidx}`.execute(db)
          row = again.rows[0]!
        }
      }
      // A card already in the vault changes nothing: its entry needs no transaction.
      if (!created) deps.audit?.record(tokenized(row.token, false))
      return { ...toCard(row), created }
    },
    async get(tenant, token) {
      return toCard(await byToken(tenant, token))
    },
    async detokenize(tenant, token, caller) {
      if (!caller.roles.some((r) => allowed.has(r))) {
        deps.audit?.record({
          tenant,
          actor: caller.actor,
          action: 'vault.card.detokenize',
          resource: token,
          outcome: 'denied',
          origin: caller.origin,
        })
        throw cryptoError(
          CRYPTO_ERRORS.DETOKENIZE_FORBIDDEN,
          'forbidden',
          `Detokenization needs one of these roles: ${[...allowed].join(', ')}.`,
        )
      }
      const row = await byToken(tenant, token)
      const pan = await fieldCipher.decryptString(
        tenant,
        { table: VAULT_PAN_FIELD.table, column: VAULT_PAN_FIELD.column, row: token },
        row.pan_ct,
      )
      deps.audit?.record({
        tenant,
        actor: caller.actor,
        action: 'vault.card.detokenize',
        resource: token,
        outcome: 'success',
        origin: caller.origin,
      })
      return { token, pan }
    },
  }
}
