/** A tenant's routing rules (payment_routing_rules), replaced as a whole and read for many tenants at once. */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'

export interface RoutingRuleRow {
  readonly id: string
  readonly priority: number
  readonly match: Record<string, unknown>
  readonly gateways: readonly { gateway: string; weight: number }[]
  readonly createdAt: Date
}

export function routingRulesStore(db: Db) {
  return {
    async replaceRules(tenant: string, rules: readonly RoutingRuleRow[]): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await sql`DELETE FROM payment_routing_rules WHERE tenant_id = ${tenant}`.execute(tx)
        for (const r of rules) {
          await sql`INSERT INTO payment_routing_rules (tenant_id, rule_id, priority, match, gateways, created_at)
            VALUES (${tenant}, ${r.id}, ${r.priority}, ${JSON.stringify(r.match)}, ${JSON.stringify(r.gateways)},
              ${r.createdAt})`.execute(tx)
        }
      })
    },

    /** Several tenants' rules in one statement (the creates of one moment share a read). */
    async listRulesOf(tenants: readonly string[]): Promise<Map<string, RoutingRuleRow[]>> {
      const r = await sql<{
        tenant_id: string
        rule_id: string
        priority: number
        match: Record<string, unknown>
        gateways: { gateway: string; weight: number }[]
        created_at: Date
      }>`SELECT tenant_id, rule_id, priority, match, gateways, created_at FROM payment_routing_rules
        WHERE tenant_id = ANY(${[...tenants]}::text[]) ORDER BY tenant_id, priority, rule_id`.execute(db)
      const out = new Map<string, RoutingRuleRow[]>(tenants.map((t) => [t, []]))
      for (const x of r.rows)
        out.get(x.tenant_id)?.push({
          id: x.rule_id,
          priority: x.priority,
          match: x.match,
          gateways: x.gateways,
          createdAt: x.created_at,
        })
      return out
    },
  }
}
