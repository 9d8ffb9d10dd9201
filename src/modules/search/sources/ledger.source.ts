import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import { foldText, identifierKey, type SearchDocument } from '../search.js'
import { keysOf, metadataText, refOf, type SearchSource } from './source.js'
import { mapInSlices } from '../../../shared/time-slice.js'

interface AccountRow {
  account_id: string
  code: string | null
  currency: string
  normal_side: string
  metadata: unknown
  created_at: Date
}

interface TransactionRow {
  transaction_id: string
  status: string
  leg_sources: string[]
  leg_destinations: string[]
  leg_amounts: (bigint | string)[]
  leg_currencies: string[]
  metadata: unknown
  created_at: Date
}

const countOf = async (db: Db, table: 'ledger_accounts' | 'ledger_transactions', tenant: string) => {
  const r = await sql<{ n: string | number | bigint }>`SELECT count(*) AS n FROM ${sql.table(table)}
    WHERE tenant_id = ${tenant}`.execute(db)
  return Number(r.rows[0]?.n ?? 0)
}

/** A ledger account: its id, code, currency and metadata values. */
export function accountDocument(tenant: string, r: AccountRow): SearchDocument {
  const meta = metadataText(r.metadata)
  return {
    tenantId: tenant,
    type: 'ledger_account',
    id: r.account_id,
    title: [r.account_id, r.code, r.currency, meta].filter(Boolean).join(' · ').slice(0, 300),
    body: foldText([r.account_id, r.code, r.currency, meta].filter(Boolean).join(' ')),
    sealed: [],
    keys: keysOf([r.account_id, r.code], identifierKey),
    occurredAt: new Date(r.created_at),
    currency: r.currency,
    attributes: { normalSide: r.normal_side },
  }
}

/** A ledger transaction: its id, accounts, first leg's amount and metadata values. */
export function transactionDocument(tenant: string, r: TransactionRow): SearchDocument {
  const meta = metadataText(r.metadata)
  const amount = r.leg_amounts[0] === undefined ? undefined : BigInt(r.leg_amounts[0])
  const legs = r.leg_sources.map((s, i) => `${s} → ${r.leg_destinations[i] ?? ''}`).join(', ')
  return {
    tenantId: tenant,
    type: 'ledger_transaction',
    id: r.transaction_id,
    title: [r.transaction_id, r.status, legs, meta].filter(Boolean).join(' · ').slice(0, 300),
    body: foldText([r.transaction_id, ...r.leg_sources, ...r.leg_destinations, meta].join(' ')),
    sealed: [],
    keys: keysOf([r.transaction_id], identifierKey),
    occurredAt: new Date(r.created_at),
    amount,
    currency: r.leg_currencies[0],
    attributes: { status: r.status },
  }
}

export function ledgerAccountsSource(db: Db): SearchSource {
  const select = sql`SELECT account_id, code, currency, normal_side, metadata, created_at FROM ledger_accounts`
  return {
    type: 'ledger_account',
    prunable: true,
    topics: { 'ledger.account.created.v1': refOf('accountId') },
    async refresh(tenant, ids) {
      const r = await sql<AccountRow>`${select}
        WHERE tenant_id = ${tenant} AND account_id = ANY(${ids}::text[])`.execute(db)
      const found = new Set(r.rows.map((x) => x.account_id))
      return {
        upsert: await mapInSlices(r.rows, (x) => accountDocument(tenant, x)),
        removed: ids.filter((i) => !found.has(i)),
      }
    },
    async scan(tenant, after, limit) {
      const r = await sql<AccountRow>`${select}
        WHERE tenant_id = ${tenant} AND account_id > ${after ?? ''} ORDER BY account_id LIMIT ${limit}`.execute(
        db,
      )
      const last = r.rows[r.rows.length - 1]
      return {
        docs: await mapInSlices(r.rows, (x) => accountDocument(tenant, x)),
        ...(r.rows.length === limit && last ? { next: last.account_id } : {}),
      }
    },
    count: (tenant) => countOf(db, 'ledger_accounts', tenant),
  }
}

export function ledgerTransactionsSource(db: Db): SearchSource {
  const select = sql`SELECT transaction_id, status, leg_sources, leg_destinations, leg_amounts, leg_currencies,
    metadata, created_at FROM ledger_transactions`
  const byTxn = refOf('transactionId')
  return {
    type: 'ledger_transaction',
    prunable: true,
    topics: {
      'ledger.transaction.posted.v1': byTxn,
      'ledger.transaction.pending.v1': byTxn,
      'ledger.transaction.voided.v1': byTxn,
      'ledger.transaction.expired.v1': byTxn,
    },
    async refresh(tenant, ids) {
      const r = await sql<TransactionRow>`${select}
        WHERE tenant_id = ${tenant} AND transaction_id = ANY(${ids}::text[])`.execute(db)
      const found = new Set(r.rows.map((x) => x.transaction_id))
      return {
        upsert: await mapInSlices(r.rows, (x) => transactionDocument(tenant, x)),
        removed: ids.filter((i) => !found.has(i)),
      }
    },
    async scan(tenant, after, limit) {
      const r = await sql<TransactionRow>`${select}
        WHERE tenant_id = ${tenant} AND transaction_id > ${after ?? ''} ORDER BY transaction_id LIMIT ${limit}`.execute(
        db,
      )
      const last = r.rows[r.rows.length - 1]
      return {
        docs: await mapInSlices(r.rows, (x) => transactionDocument(tenant, x)),
        ...(r.rows.length === limit && last ? { next: last.transaction_id } : {}),
      }
    },
    count: (tenant) => countOf(db, 'ledger_transactions', tenant),
  }
}
