/** Only metadata can change after creation. */
import type { PaymentsContext } from '../core/context.js'
import { idempotent } from '../core/idempotency.js'
import { validateMetadata } from '../core/validate.js'
import type { Payment } from '../payments.js'
import type { WriteOptions } from '../ports.js'

export function updateMetadata(
  c: PaymentsContext,
  tenant: string,
  id: string,
  metadata: Record<string, string>,
  opts: WriteOptions = {},
): Promise<Payment> {
  validateMetadata(metadata)
  return idempotent(c, tenant, opts.idempotencyKey, 'update', { id, metadata }, () =>
    c.deps.db.transaction().execute(async (tx) => {
      const p = await c.mustGet(tx, tenant, id, true)
      const next = { ...p, metadata, updatedAt: c.now() }
      await c.store.updatePayment(tx, next)
      return next
    }),
  )
}
