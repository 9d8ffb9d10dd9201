import type { AuthAuditPort } from './audit-port.js'
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { Auth } from './auth.service.js'
import type { OidcAccounts, OidcOperator } from './oidc.js'
import { isRole } from './permissions.js'
import { CLI_GRANTOR, createSessions, type Grantor, type SessionPolicy } from './sessions.js'

/** Auto-provisioning creates the role the deployment's configuration names: it acts for the owner. */
const OIDC_PROVISIONER: Grantor = { actor: 'oidc:auto-provision', scopes: CLI_GRANTOR.scopes }

/**
 * OIDC sign-in's view of operators and sessions: the same operator table and the same session
 * store as password sign-in, so logout, idle expiry and revocation treat both alike.
 */
export function createOidcAccounts(deps: {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly auth: Auth
  readonly sessionPolicy: SessionPolicy
  readonly audit?: AuthAuditPort | undefined
}): OidcAccounts {
  const sessions = createSessions({
    db: deps.db,
    clock: deps.clock,
    ids: deps.ids,
    policy: deps.sessionPolicy,
  })
  const view = (o: {
    id: string
    tenantId: string
    email: string
    role: string
    lockedUntil: Date | null
  }): OidcOperator => ({
    id: o.id,
    tenantId: o.tenantId,
    email: o.email,
    role: o.role,
    lockedUntil: o.lockedUntil,
  })
  return {
    async findOperatorByEmail(email) {
      const o = await deps.auth.findOperator({ email })
      return o ? view(o) : undefined
    },
    async provisionOperator(tenant, email, role) {
      if (!isRole(role)) throw new Error(`MONETA_OIDC_AUTO_PROVISION_ROLE: unknown role ${role}`)
      // A long random password nobody knows: this operator signs in through the provider only.
      const password = `Oidc!${randomBytes(32).toString('base64url')}7x`
      return view(await deps.auth.createOperator(tenant, { email, password, role }, OIDC_PROVISIONER))
    },
    async issueSession(operator, origin) {
      const s = await sessions.create(
        { tenantId: operator.tenantId, operatorId: operator.id },
        { mfaPending: false, origin },
      )
      deps.audit?.record({
        tenant: operator.tenantId,
        actor: `operator:${operator.id}`,
        action: 'auth.session.create',
        resource: s.sessionId,
        outcome: 'success',
        origin,
        details: { method: 'oidc' },
      })
      return { token: s.token, expiresAt: s.expiresAt }
    },
  }
}
