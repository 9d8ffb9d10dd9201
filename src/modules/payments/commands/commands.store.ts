import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { Actor } from '../payments.audit.js'

export type CommandKind = 'payment.create' | 'ledger.bulk'
export type CommandStatus = 'accepted' | 'succeeded' | 'failed'

/** An asynchronous command as stored: its request, and once applied its result or error. */
export interface StoredCommand {
  readonly tenantId: string
  readonly id: string
  readonly kind: CommandKind
  readonly idempotencyKey: string
  readonly request: unknown
  readonly requestHash: string
  readonly status: CommandStatus
  readonly resourceId: string | undefined
  readonly result: unknown
  readonly error: { readonly code: string; readonly message: string } | undefined
  readonly acceptedAt: Date
  readonly completedAt: Date | undefined
  /** The principal that submitted it; undefined for rows accepted before this was kept. */
  readonly submittedBy: Actor | undefined
}

export interface NewCommand {
  readonly tenantId: string
  readonly id: string
  readonly kind: CommandKind
  readonly idempotencyKey: string
  /** Already encoded (bigints tagged, see commands.service.ts). */
  readonly requestJson: string
  readonly requestHash: string
  readonly acceptedAt: Date
  readonly submittedBy: Actor | undefined
}

export interface Completion {
  readonly tenantId: string
  readonly id: string
  readonly status: 'succeeded' | 'failed'
  readonly resourceId: string | null
  readonly result: unknown
  readonly error: { code: string; message: string } | null
}

interface Row {
  tenant_id: string
  command_id: string
  kind: CommandKind
  idem_key: string
  request: unknown
  request_hash: string
  status: CommandStatus
  resource_id: string | null
  result: unknown
  error: { code: string; message: string } | null
  accepted_at: Date | string
  completed_at: Date | string | null
  submitted_by: Actor | null
}

const toCommand = (r: Row): StoredCommand => ({
  tenantId: r.tenant_id,
  id: r.command_id,
  kind: r.kind,
  idempotencyKey: r.idem_key,
  request: r.request,
  requestHash: r.request_hash,
  status: r.status,
  resourceId: r.resource_id ?? undefined,
  result: r.result ?? undefined,
  error: r.error ?? undefined,
  acceptedAt: new Date(r.accepted_at),
  completedAt: r.completed_at === null ? undefined : new Date(r.completed_at),
  submittedBy: r.submitted_by ?? undefined,
})

const COLUMNS = sql.raw(`tenant_id, command_id, kind, idem_key, request, request_hash, status, resource_id,
  result, error, accepted_at, completed_at, submitted_by`)

/** Inserts a batch in one statement; returns the ids that were new (a key already used is skipped). */
export async function insertCommands(tx: Db, rows: readonly NewCommand[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set()
  const r = await sql<{ command_id: string }>`
    INSERT INTO payment_commands (tenant_id, command_id, idem_key, kind, request, request_hash, accepted_at,
      submitted_by)
    SELECT x.t, x.c, x.k, x.kind, x.req::jsonb, x.h, x.at, x.by::jsonb
    FROM unnest(${rows.map((c) => c.tenantId)}::text[], ${rows.map((c) => c.id)}::text[],
                ${rows.map((c) => c.idempotencyKey)}::text[], ${rows.map((c) => c.kind)}::text[],
                ${rows.map((c) => c.requestJson)}::text[], ${rows.map((c) => c.requestHash)}::text[],
                ${rows.map((c) => c.acceptedAt.toISOString())}::timestamptz[],
                ${rows.map((c) => (c.submittedBy ? JSON.stringify(c.submittedBy) : null))}::text[])
         AS x(t, c, k, kind, req, h, at, by)
    ON CONFLICT DO NOTHING
    RETURNING command_id`.execute(tx)
  return new Set(r.rows.map((row) => row.command_id))
}

/** The commands stored under these (tenant, key) pairs: id and request fingerprint. */
export async function commandsByKeys(
  db: Db,
  keys: readonly { tenantId: string; key: string }[],
): Promise<Map<string, { id: string; requestHash: string; kind: CommandKind }>> {
  if (keys.length === 0) return new Map()
  const r = await sql<{
    tenant_id: string
    idem_key: string
    command_id: string
    request_hash: string
    kind: CommandKind
  }>`
    SELECT c.tenant_id, c.idem_key, c.command_id, c.request_hash, c.kind FROM payment_commands c
    JOIN unnest(${keys.map((k) => k.tenantId)}::text[], ${keys.map((k) => k.key)}::text[]) AS x(t, k)
      ON c.tenant_id = x.t AND c.idem_key = x.k`.execute(db)
  return new Map(
    r.rows.map((row) => [
      `${row.tenant_id}\u0000${row.idem_key}`,
      { id: row.command_id, requestHash: row.request_hash, kind: row.kind },
    ]),
  )
}

export async function getCommand(db: Db, tenantId: string, id: string): Promise<StoredCommand | undefined> {
  const r = await sql<Row>`SELECT ${COLUMNS} FROM payment_commands
    WHERE tenant_id = ${tenantId} AND command_id = ${id}`.execute(db)
  return r.rows[0] ? toCommand(r.rows[0]) : undefined
}

/** The still-accepted commands among these; `lock`: held until the transaction ends (others skip them). */
export async function acceptedCommands(
  db: Db,
  refs: readonly { tenantId: string; id: string }[],
  lock = false,
): Promise<StoredCommand[]> {
  if (refs.length === 0) return []
  const r = await sql<Row>`SELECT ${COLUMNS} FROM payment_commands
    WHERE (tenant_id, command_id) IN (SELECT * FROM unnest(${refs.map((x) => x.tenantId)}::text[],
                                                           ${refs.map((x) => x.id)}::text[]))
      AND status = 'accepted'
    ORDER BY tenant_id, command_id ${lock ? sql`FOR UPDATE SKIP LOCKED` : sql``}`.execute(db)
  return r.rows.map(toCommand)
}

/**
 * Records outcomes of commands still accepted; returns the ids it changed (a command completed
 * meanwhile by another consumer is left alone, so its events are not sent twice).
 */
export async function completeCommands(tx: Db, done: readonly Completion[], at: Date): Promise<Set<string>> {
  if (done.length === 0) return new Set()
  const r = await sql<{ command_id: string }>`
    UPDATE payment_commands c SET status = x.s, resource_id = x.rid, result = x.res::jsonb, error = x.err::jsonb,
      completed_at = ${at.toISOString()}::timestamptz
    FROM unnest(${done.map((d) => d.tenantId)}::text[], ${done.map((d) => d.id)}::text[],
                ${done.map((d) => d.status)}::text[], ${done.map((d) => d.resourceId)}::text[],
                ${done.map((d) => (d.result === undefined ? null : JSON.stringify(d.result)))}::text[],
                ${done.map((d) => (d.error ? JSON.stringify(d.error) : null))}::text[]) AS x(t, id, s, rid, res, err)
    WHERE c.tenant_id = x.t AND c.command_id = x.id AND c.status = 'accepted'
    RETURNING c.command_id`.execute(tx)
  return new Set(r.rows.map((row) => row.command_id))
}

/** Counts by status for a tenant (the bench and tests). */
export async function countCommands(db: Db, tenantId: string): Promise<Record<CommandStatus, number>> {
  const r = await sql<{ status: CommandStatus; n: string | number }>`
    SELECT status, count(*) AS n FROM payment_commands WHERE tenant_id = ${tenantId} GROUP BY status`.execute(
    db,
  )
  const out: Record<CommandStatus, number> = { accepted: 0, succeeded: 0, failed: 0 }
  for (const row of r.rows) out[row.status] = Number(row.n)
  return out
}
