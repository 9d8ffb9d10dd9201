/** Reads: payments, their refunds and gateway attempts, payouts. */
import type { PaymentsContext } from '../core/context.js'
import { paymentError, payoutNotFound } from '../payments.errors.js'
import { PAYMENT_SORTS, type PaymentQueries, type PaymentSort } from '../ports.js'

const isPaymentSort = (s: string): s is PaymentSort => (PAYMENT_SORTS as readonly string[]).includes(s)

export function paymentQueries(c: PaymentsContext): PaymentQueries {
  const { store, deps } = c
  return {
    get: (tenant, id) => c.mustGet(deps.db, tenant, id),
    async list(tenant, filter = {}) {
      const limit = filter.limit ?? 100
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw paymentError('INVALID_LIMIT')
      const sort = filter.sort ?? 'created'
      if (!isPaymentSort(sort))
        throw paymentError('INVALID_SORT', `sort must be one of ${PAYMENT_SORTS.join(', ')}.`, { sort })
      const items = await store.listPayments(tenant, {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.customer ? { customer: filter.customer } : {}),
        ...(filter.gateway ? { gateway: filter.gateway } : {}),
        ...(filter.after ? { after: filter.after } : {}),
        ...(filter.order === 'desc' ? { newestFirst: true } : {}),
        sort,
        limit,
      })
      return { items, next: items.length === limit ? items[items.length - 1]!.id : null }
    },
    async listRefunds(tenant, id) {
      await c.mustGet(deps.db, tenant, id)
      return store.listRefunds(deps.db, tenant, id)
    },
    async listStrayCharges(tenant, id) {
      await c.mustGet(deps.db, tenant, id)
      return store.listStrayCharges(deps.db, tenant, id)
    },
    async strayCharges(tenant, filter = {}) {
      const limit = filter.limit ?? 100
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw paymentError('INVALID_LIMIT')
      return store.listTenantStrayCharges(tenant, {
        ...(filter.status ? { status: filter.status } : {}),
        limit,
      })
    },
    attempts: (tenant, id) => store.attempts(tenant, id),
    async getPayout(tenant, id) {
      const p = await store.getPayout(deps.db, tenant, id)
      if (!p) throw payoutNotFound(id)
      return p
    },
  }
}
