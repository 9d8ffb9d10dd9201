/** A tenant's gateway routing rules: read, replace. */
import { canonicalize } from '../../../shared/canonical-json.js'
import type { PaymentsContext } from '../core/context.js'
import type { RoutingRuleRow } from '../store/routing-rules.js'
import type { RoutingAdmin } from '../ports.js'
import { validateRules, type RoutingRule } from '../routing.js'

export async function rulesOf(c: PaymentsContext, tenant: string): Promise<RoutingRule[]> {
  return (await c.routingRules(tenant)).map((r) => ({
    id: r.id,
    priority: r.priority,
    match: {
      ...(r.match.currencies ? { currencies: r.match.currencies as string[] } : {}),
      ...(r.match.minAmount !== undefined ? { minAmount: BigInt(r.match.minAmount as string) } : {}),
      ...(r.match.maxAmount !== undefined ? { maxAmount: BigInt(r.match.maxAmount as string) } : {}),
      ...(r.match.cardBrands ? { cardBrands: r.match.cardBrands as string[] } : {}),
      ...(r.match.cardCountries ? { cardCountries: r.match.cardCountries as string[] } : {}),
    },
    gateways: r.gateways,
  }))
}

export function routingAdmin(c: PaymentsContext): RoutingAdmin {
  return {
    gateways: c.deps.gateways,
    routingRules: (tenant) => rulesOf(c, tenant),
    async setRoutingRules(tenant, rules) {
      validateRules(rules, c.deps.gateways)
      const at = c.now()
      const rows: RoutingRuleRow[] = rules.map((r) => ({
        id: r.id,
        priority: r.priority,
        match: canonicalize(r.match) as Record<string, unknown>,
        gateways: r.gateways.map((g) => ({ gateway: g.gateway, weight: g.weight })),
        createdAt: at,
      }))
      await c.store.replaceRules(tenant, rows)
      return rulesOf(c, tenant)
    },
  }
}
