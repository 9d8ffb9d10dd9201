import type { Permission } from '../modules/auth/index.js'

/**
 * Every route's required permission, in one table (`METHOD /path` exactly as registered). `public` routes
 * authenticate otherwise (sign-in, signed gateway webhooks, health). A route missing here is admin-only:
 * it needs `*` (fail closed), and src/api/permissions.test.ts fails until it gets an entry.
 * Roles → permissions: src/modules/auth/permissions.ts; docs/security.md prints both.
 */
export type RouteRule = Permission | 'public'

export const ROUTE_PERMISSIONS: Readonly<Record<string, RouteRule>> = {
  'GET /health': 'public',
  // The operator console's static pages and assets (src/api/console.ts): no data, every screen then calls /v1.
  'GET /console': 'public',
  'GET /console/*': 'public',
  'GET /console/assets/*': 'public',
  // Platform-wide figures (docs/metrics.md): issued only by the platform owner, implied by no wildcard.
  'GET /metrics': 'metrics:read',

  // Access (this module)
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/logout': 'session:self',
  'GET /v1/auth/session': 'session:self',
  'POST /v1/auth/mfa/enroll': 'session:self',
  'POST /v1/auth/mfa/activate': 'session:self',
  'POST /v1/operators': 'operators:admin',
  'GET /v1/operators': 'operators:admin',
  'POST /v1/operators/:id/unlock': 'operators:admin',
  'POST /v1/operators/:id/mfa/reset': 'operators:admin',
  // Offboarding and account changes (the handler also checks the caller holds the operator's role)
  'POST /v1/operators/:id/disable': 'operators:admin',
  'PUT /v1/operators/:id/role': 'operators:admin',
  'POST /v1/operators/:id/password': 'operators:admin',
  'POST /v1/auth/password': 'session:self',
  'POST /v1/api-keys': 'api_keys:admin',
  'GET /v1/api-keys': 'api_keys:admin',
  'POST /v1/api-keys/:id/rotate': 'api_keys:admin',
  'DELETE /v1/api-keys/:id': 'api_keys:admin',
  'POST /v1/tenants': 'platform:admin',
  // OIDC sign-in (the redirect and callback carry no credentials of ours).
  'GET /v1/auth/oidc/start': 'public',
  'GET /v1/auth/oidc/callback': 'public',

  // Ledger
  'POST /v1/accounts': 'ledger:write',
  'GET /v1/accounts': 'ledger:read',
  'GET /v1/accounts/:id': 'ledger:read',
  'PATCH /v1/accounts/:id': 'ledger:write',
  'GET /v1/accounts/:id/balances': 'ledger:read',
  'GET /v1/accounts/:id/entries': 'ledger:read',
  'POST /v1/transactions': 'ledger:write',
  'POST /v1/transactions/bulk': 'ledger:write',
  'GET /v1/transactions/:id': 'ledger:read',
  'POST /v1/transactions/:id/post': 'ledger:write',
  'POST /v1/transactions/:id/void': 'ledger:write',
  // Console read views (ADR 1702): a sampled balance series, per-currency totals, the verify report
  'GET /v1/accounts/:id/series': 'ledger:read',
  'GET /v1/ledger/totals': 'ledger:read',
  'GET /v1/ledger/verify': 'ledger:read',

  // Market data
  'POST /v1/market/ticks': 'market:write',
  'GET /v1/market/rules': 'market:read',
  'POST /v1/market/rules': 'market:write',
  'DELETE /v1/market/rules/:ruleId': 'market:write',
  'GET /v1/market/instruments/:instrument': 'market:read',
  'GET /v1/market/alerts': 'market:read',
  'GET /v1/market/alerts/stream': 'market:read',

  // Transaction monitoring (parties and alerts carry personal data)
  'GET /v1/monitoring/rule-sets': 'monitoring:read',
  'POST /v1/monitoring/rule-sets': 'monitoring:write',
  'POST /v1/monitoring/rule-sets/validate': 'monitoring:read',
  'GET /v1/monitoring/rule-sets/:version': 'monitoring:read',
  'POST /v1/monitoring/rule-sets/:version/activate': 'monitoring:write',
  'POST /v1/monitoring/rule-sets/:version/shadow': 'monitoring:write',
  'POST /v1/monitoring/rule-sets/:version/retire': 'monitoring:write',
  'GET /v1/monitoring/lists': 'monitoring:read',
  'PUT /v1/monitoring/lists/:name': 'monitoring:write',
  'PUT /v1/monitoring/parties': 'monitoring:write',
  'POST /v1/monitoring/evaluate': 'monitoring:write',
  'POST /v1/monitoring/events': 'monitoring:write',
  'POST /v1/monitoring/backtests': 'monitoring:write',
  'POST /v1/monitoring/history': 'monitoring:write',
  'GET /v1/monitoring/labels': 'monitoring:read',
  'GET /v1/monitoring/alerts': 'monitoring:read',
  'GET /v1/monitoring/alerts/:alertId': 'monitoring:read',
  'GET /v1/monitoring/features': 'monitoring:read',
  // Risk model (docs/risk.md): the registry and scores read like monitoring; promotion also needs a signed-in operator
  'GET /v1/risk/models': 'monitoring:read',
  'GET /v1/risk/models/:id': 'monitoring:read',
  'POST /v1/risk/models/train': 'monitoring:write',
  'POST /v1/risk/models/:id/promote': 'monitoring:write',
  // retiring a shadow only takes a challenger out of the decision path: written like training
  'POST /v1/risk/models/:id/retire': 'monitoring:write',
  'POST /v1/risk/score': 'monitoring:write',
  'GET /v1/risk/alerts': 'monitoring:read',
  'GET /v1/risk/models/:id/metrics': 'monitoring:read',
  // evaluating may raise drift alerts (a state change): written like training
  'POST /v1/risk/models/:id/evaluate': 'monitoring:write',
  // Console overview: the tenant's outbox backlog and dead letters — counts only, the feed monitoring reads (ADR 1702)
  'GET /v1/events/lag': 'monitoring:read',

  // Sanctions screening (names, dates of birth: personal data)
  'POST /v1/screening/check': 'screening:write',
  'POST /v1/screening/check/batch': 'screening:write',
  // Decisions clear or confirm matches and release held money: their own permission (analysts, not operators).
  'POST /v1/screening/decisions': 'screening:decide',
  'GET /v1/screening/lists': 'screening:read',
  'GET /v1/screening/alerts': 'screening:read',
  'GET /v1/screening/holds': 'screening:read',
  // Console screening screen: snapshots with their diffs, the false-positive memory (ADR 1702)
  'GET /v1/screening/snapshots': 'screening:read',
  'GET /v1/screening/snapshots/:id/changes': 'screening:read',
  'GET /v1/screening/decisions': 'screening:read',
  'GET /v1/screening/holds/:id': 'screening:read',
  'POST /v1/screening/holds/:id/decision': 'screening:decide',

  // Search: each type's hits only with that area's read permission too (src/api/routes/search.ts)
  'GET /v1/search': 'search:read',
  // Parties: customers and counterparties (names, dates of birth, identifiers: personal data)
  'POST /v1/parties': 'parties:write',
  'GET /v1/parties': 'parties:read',
  'GET /v1/parties/:id': 'parties:read',
  'PATCH /v1/parties/:id': 'parties:write',
  'POST /v1/parties/:id/status': 'parties:write',
  'POST /v1/parties/:id/screen': 'parties:write',
  'GET /v1/parties/:id/screening': 'parties:read',
  'POST /v1/parties/:id/decisions': 'screening:decide',
  'GET /v1/parties/:id/links': 'parties:read',

  // Fraud analytics over the caller's tenant's exported data (account, card, device and IP keys)
  'GET /v1/analytics/queries': 'analytics:read',
  'POST /v1/analytics/queries/:name': 'analytics:read',

  // Compliance cases (personal data; approving a four-eyes closing needs cases:approve)
  'GET /v1/cases': 'cases:read',
  'GET /v1/cases/labels': 'cases:read',
  // Console overview: open cases and their alerts by kind and age (ADR 1702)
  'GET /v1/cases/stats': 'cases:read',
  'GET /v1/cases/:id': 'cases:read',
  'POST /v1/cases/:id/assign': 'cases:write',
  'POST /v1/cases/:id/status': 'cases:write',
  'POST /v1/cases/:id/comments': 'cases:write',
  'POST /v1/cases/:id/links': 'cases:write',
  'POST /v1/cases/:id/attachments': 'cases:write',
  'GET /v1/cases/:id/attachments/:attachmentId': 'cases:read',
  'POST /v1/cases/:id/close': 'cases:write',
  'POST /v1/cases/:id/approve': 'cases:approve',
  'POST /v1/cases/:id/sar': 'cases:write',
  'GET /v1/cases/:id/sar': 'cases:read',
  'PATCH /v1/cases/:id/sar': 'cases:write',
  'GET /v1/cases/:id/sar/versions': 'cases:read',
  'GET /v1/cases/:id/evidence': 'cases:read',

  // Card vault (revealing a PAN also needs the explicit vault:detokenize scope inside the vault)
  'POST /v1/vault/cards': 'vault:write',
  'GET /v1/vault/cards/:token': 'vault:read',
  'POST /v1/vault/cards/:token/detokenize': 'vault:detokenize',

  // Audit log
  'GET /v1/audit/checkpoint': 'audit:read',
  'GET /v1/audit/entries': 'audit:read',
  'GET /v1/audit/proofs/inclusion': 'audit:read',
  'GET /v1/audit/proofs/consistency': 'audit:read',

  // Payments (docs/payments.md)
  'POST /v1/payments': 'payments:write',
  'GET /v1/payments': 'payments:read',
  'GET /v1/payments/:id': 'payments:read',
  'PATCH /v1/payments/:id': 'payments:write',
  'POST /v1/payments/:id/confirm': 'payments:write',
  'POST /v1/payments/:id/capture': 'payments:write',
  'POST /v1/payments/:id/cancel': 'payments:write',
  'POST /v1/payments/:id/refunds': 'payments:write',
  'GET /v1/payments/:id/refunds': 'payments:read',
  'GET /v1/payments/:id/stray-charges': 'payments:read',
  'GET /v1/stray-charges': 'payments:read',
  'POST /v1/stray-charges/:id/resolve': 'payments:write',
  // The console's timeline: events, attempts, inbox, ledger postings and deliveries of one payment (ADR 1702)
  'GET /v1/payments/:id/timeline': 'payments:read',
  'GET /v1/payments/stats': 'payments:read',
  // Asynchronous commands (?async=true on POST /v1/payments and POST /v1/transactions/bulk).
  'GET /v1/payments/commands/:id': 'payments:read',
  // Up to 1,000 payment commands accepted in one request (each its own key), applied as ?async=true.
  'POST /v1/payments/commands': 'payments:write',
  'POST /v1/payouts': 'payments:write',
  'GET /v1/payouts/:id': 'payments:read',
  // Which gateway gets a payment: changes where money flows.
  'GET /v1/routing-rules': 'payments:read',
  'PUT /v1/routing-rules': 'payments:write',
  // Signed by the gateway, verified on the raw body; rate-limited apart from API traffic.
  'POST /v1/webhooks/:gateway': 'public',

  // Outgoing webhooks to tenants' endpoints
  'POST /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints': 'webhooks:read',
  'GET /v1/webhook-endpoints/:id': 'webhooks:read',
  'PATCH /v1/webhook-endpoints/:id': 'webhooks:write',
  'DELETE /v1/webhook-endpoints/:id': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/test': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/rotate-secret': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/enable': 'webhooks:write',
  'GET /v1/webhook-deliveries/:id': 'webhooks:read',
  'POST /v1/webhook-deliveries/:id/replay': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id/deliveries': 'webhooks:read',

  // Bank data (account holders and transactions: personal data)
  'POST /v1/banking/link-tokens': 'banking:write',
  'POST /v1/banking/items': 'banking:write',
  'GET /v1/banking/items': 'banking:read',
  'GET /v1/banking/items/:id': 'banking:read',
  'DELETE /v1/banking/items/:id': 'banking:write',
  'POST /v1/banking/items/:id/sync': 'banking:write',
  'GET /v1/banking/accounts': 'banking:read',
  'GET /v1/banking/accounts/:id': 'banking:read',
  'GET /v1/banking/accounts/:id/balance': 'banking:read',
  'GET /v1/banking/accounts/:id/transactions': 'banking:read',
  'POST /v1/banking/transfers': 'banking:write',
  'GET /v1/banking/transfers': 'banking:read',
  'GET /v1/banking/transfers/:id': 'banking:read',
  'POST /v1/banking/transfers/:id/settle': 'banking:write',
  'POST /v1/banking/transfers/:id/return': 'banking:write',
  'POST /v1/banking/sandbox/items/:id/simulate': 'banking:write',
  'POST /v1/banking/webhooks/:provider': 'public',

  // Recurring billing (docs/billing.md): saved methods show brand, last four and expiry (personal data)
  'POST /v1/products': 'billing:write',
  'GET /v1/products': 'billing:read',
  'GET /v1/products/:id': 'billing:read',
  'POST /v1/prices': 'billing:write',
  'GET /v1/prices': 'billing:read',
  'GET /v1/prices/:id': 'billing:read',
  'POST /v1/subscriptions': 'billing:write',
  'GET /v1/subscriptions': 'billing:read',
  'GET /v1/subscriptions/:id': 'billing:read',
  'PATCH /v1/subscriptions/:id': 'billing:write',
  'POST /v1/subscriptions/:id/pause': 'billing:write',
  'POST /v1/subscriptions/:id/resume': 'billing:write',
  'POST /v1/subscriptions/:id/cancel': 'billing:write',
  'GET /v1/invoices': 'billing:read',
  'GET /v1/invoices/:id': 'billing:read',
  'GET /v1/invoices/:id/credit-notes': 'billing:read',
  'POST /v1/invoices/:id/credit-notes': 'billing:write',
  'POST /v1/payment-methods/client-token': 'billing:write',
  'GET /v1/customers/:id/payment-methods': 'billing:read',
  'POST /v1/customers/:id/payment-methods': 'billing:write',
  'DELETE /v1/customers/:id/payment-methods/:methodId': 'billing:write',
  'GET /v1/billing/test-clock': 'billing:read',
  // Moving a tenant's billing time stops the worker billing it: admins (and keys given it) only.
  'POST /v1/billing/test-clock': 'billing:clock',

  // Reconciliation (gateway settlements against the ledger; no personal data, so auditors may read it)
  'GET /v1/reconciliations': 'reconciliation:read',
  'GET /v1/reconciliations/:id': 'reconciliation:read',
}

/** Fastify answers HEAD with the GET handler; it needs what GET needs. */
export function ruleFor(method: string, url: string): RouteRule | undefined {
  return ROUTE_PERMISSIONS[`${method === 'HEAD' ? 'GET' : method} ${url}`]
}

/** What a route with no entry requires: `*` (admin). */
export const FAIL_CLOSED = '*'
