/**
 * Wires the payments use cases (use-cases/, one file each) to their dependencies and hands them out
 * as narrow facets (ports.ts). The single transition writer is apply-fact.ts.
 */
import { actingFor, createContext, type PaymentsDeps } from './core/context.js'
import type { Payments } from './ports.js'
import { applyGatewayEvent } from './use-cases/apply-gateway-event.js'
import { applyGatewayEvents } from './use-cases/apply-gateway-events.js'
import { cancelPayment } from './use-cases/cancel.js'
import { capturePayment } from './use-cases/capture.js'
import { confirmPayment, createPayment } from './use-cases/create.js'
import { createPayout } from './use-cases/payout.js'
import { paymentQueries } from './use-cases/queries.js'
import { refundPayment } from './use-cases/refund.js'
import { routingAdmin } from './use-cases/routing-admin.js'
import { resolveStrayCharge } from './use-cases/resolve-stray-charge.js'
import { sweep } from './use-cases/sweeper.js'
import { updateMetadata } from './use-cases/update-metadata.js'

export type { PaymentsDeps }

export function createPayments(deps: PaymentsDeps): Payments {
  const c = createContext(deps)
  const findTenantByGatewayRef = (gateway: string, ref: string) => c.store.tenantByRef(gateway, ref)
  return {
    commands: {
      // Each command runs as its caller (opts.by): the actor of the transitions it audits.
      create: (tenant, input, opts) => createPayment(actingFor(c, opts?.by), tenant, input, opts),
      confirm: (tenant, id, opts) => confirmPayment(actingFor(c, opts?.by), tenant, id, opts),
      capture: (tenant, id, amount, opts) => capturePayment(actingFor(c, opts?.by), tenant, id, amount, opts),
      cancel: (tenant, id, opts) => cancelPayment(actingFor(c, opts?.by), tenant, id, opts),
      refund: (tenant, id, input, opts) => refundPayment(actingFor(c, opts?.by), tenant, id, input, opts),
      updateMetadata: (tenant, id, metadata, opts) =>
        updateMetadata(actingFor(c, opts?.by), tenant, id, metadata, opts),
      payout: (tenant, input, opts) => createPayout(actingFor(c, opts?.by), tenant, input, opts),
      resolveStrayCharge: (tenant, id, input, opts) =>
        resolveStrayCharge(c, tenant, id, input, opts?.by ?? { actor: 'system', origin: 'internal' }),
    },
    queries: paymentQueries(c),
    webhooks: {
      applyGatewayEvent: (tenant, gateway, event, { tx }) => applyGatewayEvent(c, tenant, gateway, event, tx),
      applyGatewayEvents: (items, { tx }) => applyGatewayEvents(c, items, tx),
      findTenantByGatewayRef,
      findTenantsByGatewayRefs: (gateway, refs) => c.store.tenantsByRefs(gateway, refs),
      findTenantByPaymentId: (paymentId) => c.store.tenantByPaymentId(paymentId),
    },
    facts: {
      ledgerFacts: (tenant, gateway, range) => c.store.listFacts(tenant, gateway, range.from, range.to),
      findTenantByGatewayRef,
      strayCharges: (tenant, gateway, refs) => c.store.strayChargesByRefs(tenant, gateway, refs),
    },
    routing: routingAdmin(c),
    sweeper: { sweep: (scope) => sweep(c, scope?.tenants) },
    gateways: deps.gateways,
    close: () => c.close(),
  }
}
