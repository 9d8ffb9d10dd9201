import { can, type Session } from '../api'
import { Link } from '../components'
import { ApiKeys } from './ApiKeys'
import { AuditCheckpoint } from './AuditCheckpoint'
import { Operators } from './Operators'
import { Webhooks } from './Webhooks'

/** Admin sections and the permission each needs; a section the role lacks is not offered. */
export const ADMIN_SECTIONS = [
  { id: 'operators', label: 'Operators', permission: 'operators:admin' },
  { id: 'api-keys', label: 'API keys', permission: 'api_keys:admin' },
  { id: 'webhooks', label: 'Webhooks', permission: 'webhooks:read' },
  { id: 'audit', label: 'Audit', permission: 'audit:read' },
] as const

export const adminSections = (s: Session) => ADMIN_SECTIONS.filter((x) => can(s, x.permission))

export function Admin(props: { section: string; query: URLSearchParams; session: Session }) {
  const sections = adminSections(props.session)
  const current = sections.find((s) => s.id === props.section) ?? sections[0]
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <nav aria-label="Admin sections" class="tabs">
        {sections.map((s) => (
          <Link key={s.id} to={`/admin/${s.id}`} current={s.id === current?.id}>
            {s.label}
          </Link>
        ))}
      </nav>
      {current?.id === 'operators' ? <Operators /> : null}
      {current?.id === 'api-keys' ? <ApiKeys /> : null}
      {current?.id === 'webhooks' ? (
        <Webhooks query={props.query} canWrite={can(props.session, 'webhooks:write')} />
      ) : null}
      {current?.id === 'audit' ? <AuditCheckpoint /> : null}
    </section>
  )
}
