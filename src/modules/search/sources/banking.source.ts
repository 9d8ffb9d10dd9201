import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { BANKING_EVENTS } from '../../banking/index.js'
import { foldText, type SearchDocument } from '../search.js'
import { refOf, type SearchSource } from './source.js'

interface NameRow {
  name: string
  n: string | number | bigint
  last: Date | string
}

/** One counterparty per folded name in a tenant's synced bank transactions (merchant name, else the line). */
export const counterpartyId = (folded: string): string =>
  `cp_${createHash('sha256').update(folded).digest('hex').slice(0, 24)}`

function counterpartyDocument(tenant: string, r: NameRow): SearchDocument {
  return {
    tenantId: tenant,
    type: 'counterparty',
    id: counterpartyId(foldText(r.name)),
    title: r.name,
    body: foldText(r.name),
    sealed: [],
    keys: [],
    occurredAt: new Date(r.last),
    attributes: { transactions: String(r.n) },
  }
}

const NAME = sql`coalesce(merchant_name, name)`

/** Counterparties from bank data; a sync of an item refreshes the names its transactions carry. */
export function counterpartiesSource(db: Db): SearchSource {
  const aggregate = async (
    tenant: string,
    names: readonly string[] | undefined,
    after?: string,
    limit?: number,
  ) =>
    (
      await sql<NameRow>`SELECT ${NAME} AS name, count(*) AS n, max(date) AS last FROM bank_transactions
        WHERE tenant_id = ${tenant} AND removed_at IS NULL
          ${names ? sql`AND ${NAME} = ANY(${names}::text[])` : sql``}
          ${after !== undefined ? sql`AND ${NAME} > ${after}` : sql``}
        GROUP BY 1 ORDER BY 1 ${limit ? sql`LIMIT ${limit}` : sql``}`.execute(db)
    ).rows
  return {
    type: 'counterparty',
    // A name that left every transaction stays until a reindex: refreshes see only present names.
    prunable: true,
    topics: { [BANKING_EVENTS.transactionsSynced]: refOf('itemId') },
    async refresh(tenant, items) {
      const names = await sql<{ name: string }>`SELECT DISTINCT ${NAME} AS name FROM bank_transactions
        WHERE tenant_id = ${tenant} AND item_id = ANY(${items}::text[])`.execute(db)
      if (names.rows.length === 0) return { upsert: [], removed: [] }
      const rows = await aggregate(
        tenant,
        names.rows.map((r) => r.name),
      )
      return { upsert: rows.map((r) => counterpartyDocument(tenant, r)), removed: [] }
    },
    async scan(tenant, after, limit) {
      const rows = await aggregate(tenant, undefined, after ?? '', limit)
      const last = rows[rows.length - 1]
      return {
        docs: rows.map((r) => counterpartyDocument(tenant, r)),
        ...(rows.length === limit && last ? { next: last.name } : {}),
      }
    },
    async count(tenant) {
      const r = await sql<{
        n: string | number | bigint
      }>`SELECT count(DISTINCT ${NAME}) AS n FROM bank_transactions
        WHERE tenant_id = ${tenant} AND removed_at IS NULL`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    },
  }
}
