/**
 * The encrypted columns of a saved payment method: the vault token (with the gateway customer
 * reference) and the display data. Both are field-encrypted, bound to the row, so a copied
 * ciphertext decrypts nowhere else.
 */
import { sql } from 'kysely'
import type { BoundField, FieldCipher } from '../crypto/index.js'
import type { SavedMethod } from '../payments/index.js'
import type { BillingContext } from './context.js'

export interface MethodFields {
  readonly token: BoundField
  readonly display: BoundField
}

const fieldsByCipher = new WeakMap<FieldCipher, MethodFields>()

export function methodFields(cipher: FieldCipher): MethodFields {
  let f = fieldsByCipher.get(cipher)
  if (!f) {
    f = {
      token: cipher.field({
        table: 'billing_payment_methods',
        column: 'token_ct',
        idColumn: 'payment_method_id',
      }),
      display: cipher.field({
        table: 'billing_payment_methods',
        column: 'display_ct',
        idColumn: 'payment_method_id',
      }),
    }
    fieldsByCipher.set(cipher, f)
  }
  return f
}

/** The blind-index scope of vendor tokens: platform-wide, since gateway webhooks name no tenant. */
const REF_SCOPE = '_gateway'
const REF_FIELD = { table: 'billing_payment_methods', column: 'vendor_ref_ix' }

/**
 * Keyed hash of a vendor token (card-updates.ts finds a method by it; 16 bytes; tokens are
 * case-sensitive, so no normalisation).
 */
export const vendorRefIndex = (cipher: FieldCipher, gateway: string, token: string): Buffer =>
  cipher.blindIndex(REF_SCOPE, REF_FIELD, `${gateway}:${token}`, {
    bytes: 16,
    normalize: (v) => v,
  })

export interface StoredToken {
  readonly gateway: string
  readonly customerRef: string
  readonly token: string
}

export type Display = Pick<SavedMethod, 'brand' | 'last4' | 'expMonth' | 'expYear' | 'email'>

/** Decrypts the tokens of the given methods (active ones only), keyed by payment method id. */
export async function resolveMethods(
  ctx: BillingContext,
  tenant: string,
  ids: readonly string[],
): Promise<Map<string, StoredToken>> {
  const out = new Map<string, StoredToken>()
  if (ids.length === 0) return out
  const r = await sql<{ payment_method_id: string; gateway: string; token_ct: Uint8Array }>`
    SELECT payment_method_id, gateway, token_ct FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND payment_method_id = ANY(${[...new Set(ids)]}::text[]) AND status = 'active'`.execute(
    ctx.db,
  )
  const f = methodFields(ctx.fieldCipher)
  for (const row of r.rows) {
    const t = JSON.parse(await f.token.decryptString(tenant, row.payment_method_id, row.token_ct)) as {
      customerRef: string
      token: string
    }
    out.set(row.payment_method_id, { gateway: row.gateway, customerRef: t.customerRef, token: t.token })
  }
  return out
}
