/**
 * Roles and permissions: the one place that says what each role may do.
 *
 * A permission is `area:action` (`ledger:read`, `payments:write`). A principal holds a list of grants:
 * exact permissions, `area:*` (every action of an area) or `*` (every permission except the explicit-only
 * ones below). API keys hold scopes (grants) directly; operators hold their role's grants.
 */
export const ROLES = ['admin', 'operator', 'analyst', 'auditor', 'read_only'] as const
export type Role = (typeof ROLES)[number]

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value)

/** Roles that move money or read personal data: their operators must enrol TOTP before doing anything. */
export const MFA_REQUIRED_ROLES: ReadonlySet<Role> = new Set<Role>(['admin', 'operator', 'analyst'])

export const PERMISSIONS = [
  'ledger:read',
  'ledger:write',
  'payments:read',
  'payments:write',
  'webhooks:read',
  'webhooks:write',
  'banking:read',
  'banking:write',
  'reconciliation:read',
  'reconciliation:write',
  'screening:read',
  'screening:write',
  'screening:decide',
  'parties:read',
  'parties:write',
  'monitoring:read',
  'monitoring:write',
  'cases:read',
  'cases:write',
  'cases:approve',
  'analytics:read',
  'market:read',
  'market:write',
  'search:read',
  'billing:read',
  'billing:write',
  'billing:clock',
  'vault:read',
  'vault:write',
  'vault:detokenize',
  'audit:read',
  'operators:admin',
  'api_keys:admin',
  'platform:admin',
  'metrics:read',
  'session:self',
] as const
export type Permission = (typeof PERMISSIONS)[number]

/**
 * Never implied by `*` or `area:*`: creating tenants is the platform owner's (the bootstrap key), not
 * any tenant admin's; revealing card numbers needs `vault:detokenize` by name, which only the platform
 * owner or the CLI can put on a key (see DETOKENIZE_ISSUERS), so no admin key or admin operator reveals
 * a PAN or mints a key that does.
 */
export const EXPLICIT_ONLY: ReadonlySet<string> = new Set([
  'platform:admin',
  'vault:detokenize',
  'metrics:read',
])

/** Grants that only a principal holding `platform:admin` (the platform owner, or the CLI) may hand out. */
export const OWNER_ISSUED: ReadonlySet<string> = new Set([
  'platform:admin',
  'vault:detokenize',
  'metrics:read',
])

/** What every principal may do to itself: see its session, log out, enrol MFA. */
export const SELF: Permission = 'session:self'

export const ROLE_GRANTS: Readonly<Record<Role, readonly string[]>> = {
  admin: ['*'],
  // Moves money and runs day-to-day operations; does not change monitoring rules or read the audit log.
  operator: [
    'ledger:*',
    'payments:*',
    'banking:*',
    'reconciliation:*',
    'webhooks:*',
    'market:*',
    'search:read',
    'screening:read',
    'screening:write',
    'parties:read',
    'parties:write',
    'billing:read',
    'billing:write',
    'monitoring:read',
    'vault:read',
    'vault:write',
    SELF,
  ],
  // Compliance analyst: reads money movements, works screening and monitoring alerts and cases (a second
  // analyst approves four-eyes closings: cases:approve), writes rules.
  analyst: [
    'ledger:read',
    'payments:read',
    'banking:read',
    'reconciliation:read',
    'market:read',
    'search:read',
    'screening:*',
    'parties:read',
    'monitoring:*',
    'cases:*',
    'analytics:read',
    'billing:read',
    'vault:read',
    SELF,
  ],
  // Reads the audit log and the books; no personal data (screening, monitoring parties, payment customers).
  auditor: ['audit:read', 'ledger:read', 'reconciliation:read', 'market:read', 'search:read', SELF],
  read_only: ['ledger:read', 'market:read', 'search:read', SELF],
}

/** True when the grants include the permission (exactly, by `area:*`, or by `*` unless explicit-only). */
export function grants(held: readonly string[], permission: string): boolean {
  if (held.includes(permission)) return true
  // Metrics span every tenant: the platform owner reads them; a tenant's `*` does not.
  if (permission === 'metrics:read' && held.includes('platform:admin')) return true
  if (held.includes('*') && !EXPLICIT_ONLY.has(permission)) return true
  const area = permission.split(':')[0]
  return held.includes(`${area}:*`) && !EXPLICIT_ONLY.has(permission)
}

/** A grant an API key may carry: a known permission, `area:*` of a known area, or `*`. */
export function isValidGrant(grant: string): boolean {
  if (grant === '*' || (PERMISSIONS as readonly string[]).includes(grant)) return true
  const [area, action] = grant.split(':')
  return action === '*' && PERMISSIONS.some((p) => p.startsWith(`${area}:`))
}

/** Every grant in `wanted` is covered by `held` (a key can only hand out what its creator holds). */
export function coversAll(held: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    if (w === '*') return held.includes('*')
    if (w.endsWith(':*')) {
      const area = w.slice(0, -2)
      return PERMISSIONS.filter((p) => p.startsWith(`${area}:`) && !EXPLICIT_ONLY.has(p)).every((p) =>
        grants(held, p),
      )
    }
    return grants(held, w)
  })
}

/** The grants of a role plus extra scopes (an API key may carry a role, scopes or both). */
export function effectiveGrants(role: Role | undefined, scopes: readonly string[]): string[] {
  return [...new Set([...(role ? ROLE_GRANTS[role] : []), ...scopes])]
}

/**
 * The grants `held` lacks to hand out `wanted` (a role's or a key's grants): an owner-issued grant
 * needs `platform:admin` (holding it is not enough: a detokenize key must not mint more of itself);
 * any other needs to be held. Empty = allowed.
 */
export function missingGrants(held: readonly string[], wanted: readonly string[]): string[] {
  const owner = held.includes('platform:admin')
  return [...new Set(wanted)].filter((w) => (OWNER_ISSUED.has(w) ? !owner : !coversAll(held, [w])))
}
