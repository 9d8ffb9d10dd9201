import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { isRole, type Role } from './permissions.js'

/** An operator as the API and CLI show it (never the hash or the TOTP secret). */
export interface Operator {
  readonly id: string
  readonly tenantId: string
  readonly email: string
  readonly role: Role
  readonly mfaEnrolled: boolean
  /** Set while sign-in is locked after repeated failures. */
  readonly lockedUntil: Date | null
  readonly createdAt: Date
}

export interface OperatorRow {
  tenant_id: string
  operator_id: string
  email: string
  password_hash: string
  role: string
  mfa_secret_ct: Buffer | null
  mfa_pending_ct: Buffer | null
  mfa_enrolled_at: Date | null
  locked_until: Date | null
  created_at: Date
  disabled_at: Date | null
}

export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

export function toOperator(row: OperatorRow, at: Date): Operator {
  const role = row.role
  if (!isRole(role)) throw new Error(`Operator ${row.operator_id} has an unknown role "${role}"`)
  return {
    id: row.operator_id,
    tenantId: row.tenant_id,
    email: row.email,
    role,
    mfaEnrolled: row.mfa_enrolled_at !== null,
    lockedUntil: row.locked_until && row.locked_until > at ? row.locked_until : null,
    createdAt: row.created_at,
  }
}

const COLUMNS = sql`tenant_id, operator_id, email, password_hash, role, mfa_secret_ct, mfa_pending_ct,
  mfa_enrolled_at, locked_until, created_at, disabled_at`

/**
 * The active operator signing in with this email (in `tenant` when given). Emails are unique per
 * tenant, so one address may exist in several tenants: without a tenant, such an address matches no
 * one (the caller then names the tenant), never the first row found.
 */
export async function operatorByEmail(
  db: Db,
  email: string,
  tenant?: string,
): Promise<OperatorRow | undefined> {
  const inTenant = tenant === undefined ? sql`` : sql`AND tenant_id = ${tenant}`
  const r = await sql<OperatorRow>`
    SELECT ${COLUMNS} FROM auth_operators
    WHERE email = ${normalizeEmail(email)} AND disabled_at IS NULL ${inTenant} LIMIT 2`.execute(db)
  return r.rows.length === 1 ? r.rows[0] : undefined
}

/** An active (not disabled) operator of the tenant. */
export async function operatorById(db: Db, tenant: string, id: string): Promise<OperatorRow | undefined> {
  const r = await sql<OperatorRow>`
    SELECT ${COLUMNS} FROM auth_operators
    WHERE tenant_id = ${tenant} AND operator_id = ${id} AND disabled_at IS NULL`.execute(db)
  return r.rows[0]
}

export async function listOperatorRows(db: Db, tenant: string): Promise<OperatorRow[]> {
  const r = await sql<OperatorRow>`
    SELECT ${COLUMNS} FROM auth_operators WHERE tenant_id = ${tenant} AND disabled_at IS NULL
    ORDER BY operator_id`.execute(db)
  return r.rows
}
