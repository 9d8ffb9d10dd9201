/**
 * Gateway registry and per-tenant routing. A tenant's rules (stored in the database, set through the
 * API or CLI) are tried by priority; the first whose conditions all match gives the gateways to try:
 * one picked by weight first (deterministically from the payment id), the others after it by weight,
 * for failover on retryable errors. Gateways that cannot take the payment (currency, manual capture)
 * are dropped. With no matching rule, every registered gateway is tried in registration order.
 */
import { createHash } from 'node:crypto'
import type { PaymentGateway } from './gateway.js'
import { invalidRoutingRule, unknownGateway } from './payments.errors.js'

export interface GatewayRegistry {
  /** Registers an adapter under an id (its name by default; "sandbox2" for a second sandbox). */
  register(gateway: PaymentGateway, id?: string): void
  get(id: string): PaymentGateway | undefined
  require(id: string): PaymentGateway
  ids(): readonly string[]
}

export function createGatewayRegistry(gateways: readonly PaymentGateway[] = []): GatewayRegistry {
  const byId = new Map<string, PaymentGateway>()
  const registry: GatewayRegistry = {
    register(gateway, id = gateway.name) {
      if (byId.has(id)) throw new Error(`Gateway ${id} is registered twice`)
      byId.set(id, gateway)
    },
    get: (id) => byId.get(id),
    require(id) {
      const g = byId.get(id)
      if (!g) throw unknownGateway(id)
      return g
    },
    ids: () => [...byId.keys()],
  }
  for (const g of gateways) registry.register(g)
  return registry
}

export interface RuleMatch {
  readonly currencies?: readonly string[]
  /** Inclusive bounds in minor units. */
  readonly minAmount?: bigint
  readonly maxAmount?: bigint
  readonly cardBrands?: readonly string[]
  readonly cardCountries?: readonly string[]
}

export interface RoutingRule {
  readonly id: string
  /** Lower runs first. */
  readonly priority: number
  readonly match: RuleMatch
  readonly gateways: readonly { readonly gateway: string; readonly weight: number }[]
}

export interface RoutedPayment {
  readonly id: string
  readonly amount: bigint
  readonly currency: string
  readonly capture: 'automatic' | 'manual'
  readonly card?: { readonly brand?: string; readonly country?: string }
}

export function matches(m: RuleMatch, p: RoutedPayment): boolean {
  if (m.currencies && !m.currencies.includes(p.currency)) return false
  if (m.minAmount !== undefined && p.amount < m.minAmount) return false
  if (m.maxAmount !== undefined && p.amount > m.maxAmount) return false
  if (m.cardBrands && !(p.card?.brand && m.cardBrands.includes(p.card.brand))) return false
  if (m.cardCountries && !(p.card?.country && m.cardCountries.includes(p.card.country))) return false
  return true
}

/** A number in [0, 1) from the payment id: the same payment always routes the same way. */
function unitHash(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32
}

/** The weighted order: one drawn by weight first, then the rest by weight (ties keep rule order). */
export function weightedOrder(gateways: RoutingRule['gateways'], seed: string): string[] {
  const total = gateways.reduce((a, g) => a + g.weight, 0)
  if (gateways.length === 0 || total <= 0) return gateways.map((g) => g.gateway)
  let x = unitHash(seed) * total
  let first = gateways[gateways.length - 1]!
  for (const g of gateways) {
    if (x < g.weight) {
      first = g
      break
    }
    x -= g.weight
  }
  const rest = gateways.filter((g) => g !== first).sort((a, b) => b.weight - a.weight)
  return [first.gateway, ...rest.map((g) => g.gateway)]
}

export function canTake(g: PaymentGateway, p: RoutedPayment): boolean {
  const currencies = g.capabilities.currencies
  if (currencies !== 'any' && !currencies.includes(p.currency)) return false
  if (p.capture === 'manual' && !g.capabilities.manualCapture) return false
  return true
}

/** Gateways to try, in order. */
export function route(rules: readonly RoutingRule[], registry: GatewayRegistry, p: RoutedPayment): string[] {
  const rule = [...rules].sort((a, b) => a.priority - b.priority).find((r) => matches(r.match, p))
  const order = rule ? weightedOrder(rule.gateways, p.id) : [...registry.ids()]
  return [...new Set(order)].filter((id) => {
    const g = registry.get(id)
    return g !== undefined && canTake(g, p)
  })
}

export function validateRules(rules: readonly RoutingRule[], registry: GatewayRegistry): void {
  const ids = new Set<string>()
  for (const r of rules) {
    if (ids.has(r.id)) throw invalidRoutingRule(`Rule id ${r.id} appears twice.`)
    ids.add(r.id)
    if (!Number.isInteger(r.priority)) throw invalidRoutingRule(`Rule ${r.id}: priority must be an integer.`)
    if (r.gateways.length === 0) throw invalidRoutingRule(`Rule ${r.id} names no gateway.`)
    for (const g of r.gateways) {
      if (!registry.get(g.gateway))
        throw invalidRoutingRule(`Rule ${r.id}: gateway ${g.gateway} is not configured.`)
      if (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 1000)
        throw invalidRoutingRule(`Rule ${r.id}: weight of ${g.gateway} must be an integer from 0 to 1000.`)
    }
    const { minAmount, maxAmount } = r.match
    if (minAmount !== undefined && maxAmount !== undefined && minAmount > maxAmount)
      throw invalidRoutingRule(`Rule ${r.id}: minAmount is above maxAmount.`)
  }
}
