import { sql, type Kysely } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import {
  computeBalances,
  FLAG_CREDITS_MUST_NOT_EXCEED_DEBITS,
  FLAG_DEBITS_MUST_NOT_EXCEED_CREDITS,
} from './ledger.js'
import type { Account, Entry, Leg, NormalSide, Transaction, TransactionStatus } from './ledger.js'
import type { ApplyRow, LedgerStore, VerifyViolation } from './ledger.store.js'

interface AccountRow {
  account_id: string
  code: string | null
  currency: string
  exponent: number
  normal_side: NormalSide
  flags: number
  credit_limit: bigint
  metadata: Record<string, unknown>
  debits_pending: bigint
  debits_posted: bigint
  credits_pending: bigint
  credits_posted: bigint
  entry_seq: bigint
  created_at: Date
}

interface EntryRow {
  account_id: string
  seq: bigint
  transaction_id: string
  leg: number
  kind: Entry['kind']
  side: 'D' | 'C'
  currency: string
  pending_delta: bigint
  posted_delta: bigint
  debits_pending: bigint
  debits_posted: bigint
  credits_pending: bigint
  credits_posted: bigint
  created_at: Date
  normal_side: NormalSide
}

const ACCOUNT_COLUMNS = sql`account_id, code, currency, exponent, normal_side, flags, credit_limit, metadata,
  debits_pending, debits_posted, credits_pending, credits_posted, entry_seq, created_at`

function toAccount(r: AccountRow): Account {
  return {
    id: r.account_id,
    code: r.code,
    currency: r.currency,
    exponent: r.exponent,
    normalSide: r.normal_side,
    debitsMustNotExceedCredits: (r.flags & FLAG_DEBITS_MUST_NOT_EXCEED_CREDITS) !== 0,
    creditsMustNotExceedDebits: (r.flags & FLAG_CREDITS_MUST_NOT_EXCEED_DEBITS) !== 0,
    creditLimit: BigInt(r.credit_limit),
    metadata: r.metadata,
    balances: computeBalances(r.normal_side, {
      debitsPending: BigInt(r.debits_pending),
      debitsPosted: BigInt(r.debits_posted),
      creditsPending: BigInt(r.credits_pending),
      creditsPosted: BigInt(r.credits_posted),
    }),
    entrySeq: BigInt(r.entry_seq),
    createdAt: r.created_at,
  }
}

function toEntry(r: EntryRow): Entry {
  return {
    accountId: r.account_id,
    seq: BigInt(r.seq),
    transactionId: r.transaction_id,
    leg: r.leg,
    kind: r.kind,
    side: r.side,
    currency: r.currency,
    pendingDelta: BigInt(r.pending_delta),
    postedDelta: BigInt(r.posted_delta),
    balanceAfter: computeBalances(r.normal_side, {
      debitsPending: BigInt(r.debits_pending),
      debitsPosted: BigInt(r.debits_posted),
      creditsPending: BigInt(r.credits_pending),
      creditsPosted: BigInt(r.credits_posted),
    }),
    createdAt: r.created_at,
  }
}

const ENTRY_COLUMNS = sql`e.account_id, e.seq, e.transaction_id, e.leg, e.kind, e.side, e.currency, e.pending_delta,
  e.posted_delta, e.debits_pending, e.debits_posted, e.credits_pending, e.credits_posted, e.created_at, a.normal_side`

/** Arrays travel as text literals; bigint elements as decimal strings. */
const big = (xs: readonly bigint[]) => xs.map((x) => x.toString())

export function createPgLedgerStore(db: Db): LedgerStore {
  const raw = db as unknown as Kysely<unknown>
  return {
    db,
    async apply(tenant, now, atomic, items, on = raw) {
      const legItem: number[] = []
      const legSrc: string[] = []
      const legDst: string[] = []
      const legAmount: bigint[] = []
      const legCurrency: string[] = []
      items.forEach((it, i) => {
        for (const leg of it.legs) {
          legItem.push(i + 1)
          legSrc.push(leg.source)
          legDst.push(leg.destination)
          legAmount.push(leg.amount)
          legCurrency.push(leg.currency)
        }
      })
      const r = await sql<ApplyRow>`
        SELECT * FROM ledger_apply(${tenant}, ${now}, ${atomic},
          ${items.map((i) => i.op)}::text[], ${items.map((i) => i.id)}::text[], ${items.map((i) => i.key)}::text[],
          ${items.map((i) => i.hash)}::text[], ${items.map((i) => i.pending)}::boolean[],
          ${items.map((i) => i.timeoutSeconds)}::integer[],
          ${items.map((i) => (i.metadata ? JSON.stringify(i.metadata) : null))}::jsonb[],
          ${legItem}::integer[], ${legSrc}::text[], ${legDst}::text[], ${big(legAmount)}::bigint[],
          ${legCurrency}::text[])`.execute(on)
      return r.rows
    },

    async insertAccount(tenant, id, input, exponent, now) {
      const flags =
        (input.debitsMustNotExceedCredits ? FLAG_DEBITS_MUST_NOT_EXCEED_CREDITS : 0) |
        (input.creditsMustNotExceedDebits ? FLAG_CREDITS_MUST_NOT_EXCEED_DEBITS : 0)
      // The account and its ledger.account.created.v1 event commit in one statement.
      const r = await sql<AccountRow>`
        WITH ins AS (
          INSERT INTO ledger_accounts (tenant_id, account_id, code, currency, exponent, normal_side, flags,
            credit_limit, metadata, created_at)
          VALUES (${tenant}, ${id}, ${input.code ?? null}, ${input.currency}, ${exponent}, ${input.normalSide},
            ${flags}, ${(input.creditLimit ?? 0n).toString()}, ${JSON.stringify(input.metadata ?? {})}, ${now})
          ON CONFLICT DO NOTHING
          RETURNING ${ACCOUNT_COLUMNS}
        ), event AS (
          INSERT INTO event_outbox (tenant_id, topic, partition_key, payload)
          SELECT ${tenant}, 'ledger.account.created.v1', ins.account_id,
            jsonb_build_object('accountId', ins.account_id, 'currency', ins.currency, 'normalSide', ins.normal_side,
              'code', ins.code, 'metadata', ins.metadata)
          FROM ins
        )
        SELECT * FROM ins`.execute(raw)
      return r.rows[0] ? toAccount(r.rows[0]) : undefined
    },

    async getAccount(tenant, id) {
      const r = await sql<AccountRow>`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts
        WHERE tenant_id = ${tenant} AND account_id = ${id}`.execute(raw)
      return r.rows[0] ? toAccount(r.rows[0]) : undefined
    },

    async getAccountByCode(tenant, code) {
      const r = await sql<AccountRow>`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts
        WHERE tenant_id = ${tenant} AND code = ${code}`.execute(raw)
      return r.rows[0] ? toAccount(r.rows[0]) : undefined
    },

    async listAccounts(tenant, after, limit) {
      const r = await sql<AccountRow>`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts
        WHERE tenant_id = ${tenant} AND account_id > ${after ?? ''}
        ORDER BY account_id LIMIT ${limit}`.execute(raw)
      return r.rows.map(toAccount)
    },

    async updateAccount(tenant, id, patch) {
      const r = await sql<AccountRow>`
        UPDATE ledger_accounts SET
          credit_limit = coalesce(${patch.creditLimit?.toString() ?? null}::bigint, credit_limit),
          metadata = coalesce(${patch.metadata ? JSON.stringify(patch.metadata) : null}::jsonb, metadata)
        WHERE tenant_id = ${tenant} AND account_id = ${id}
        RETURNING ${ACCOUNT_COLUMNS}`.execute(raw)
      return r.rows[0] ? toAccount(r.rows[0]) : undefined
    },

    async getTransaction(tenant, id) {
      const r = await sql<{
        transaction_id: string
        status: TransactionStatus
        idempotency_key: string | null
        leg_sources: string[]
        leg_destinations: string[]
        leg_amounts: (bigint | string)[]
        leg_currencies: string[]
        posted_amounts: (bigint | string)[] | null
        timeout_at: Date | null
        metadata: Record<string, unknown>
        created_at: Date
        resolved_at: Date | null
      }>`SELECT * FROM ledger_transactions WHERE tenant_id = ${tenant} AND transaction_id = ${id}`.execute(
        raw,
      )
      const t = r.rows[0]
      if (!t) return undefined
      const legs: Leg[] = t.leg_sources.map((source, i) => ({
        source,
        destination: t.leg_destinations[i]!,
        amount: BigInt(t.leg_amounts[i]!),
        currency: t.leg_currencies[i]!,
      }))
      return {
        id: t.transaction_id,
        status: t.status,
        idempotencyKey: t.idempotency_key,
        legs,
        postedAmounts: t.posted_amounts ? t.posted_amounts.map((a) => BigInt(a)) : null,
        timeoutAt: t.timeout_at,
        metadata: t.metadata,
        createdAt: t.created_at,
        resolvedAt: t.resolved_at,
      } satisfies Transaction
    },

    async listEntries(tenant, accountId, afterSeq, limit) {
      const r = await sql<EntryRow>`SELECT ${ENTRY_COLUMNS} FROM ledger_entries e
        JOIN ledger_accounts a ON a.tenant_id = e.tenant_id AND a.account_id = e.account_id
        WHERE e.tenant_id = ${tenant} AND e.account_id = ${accountId} AND e.seq > ${afterSeq.toString()}
        ORDER BY e.seq LIMIT ${limit}`.execute(raw)
      return r.rows.map(toEntry)
    },

    async transactionEntries(tenant, transactionId) {
      const r = await sql<EntryRow>`SELECT ${ENTRY_COLUMNS} FROM ledger_entries e
        JOIN ledger_accounts a ON a.tenant_id = e.tenant_id AND a.account_id = e.account_id
        WHERE e.tenant_id = ${tenant} AND e.transaction_id = ${transactionId}
        ORDER BY e.created_at, e.leg, e.side DESC`.execute(raw)
      return r.rows.map(toEntry)
    },

    async entryAsOf(tenant, accountId, at) {
      // Entry times are monotonic per account (the batch function enforces it), so the last
      // entry by seq at or before `at` is the account's state at that moment.
      const r = await sql<EntryRow>`SELECT ${ENTRY_COLUMNS} FROM ledger_entries e
        JOIN ledger_accounts a ON a.tenant_id = e.tenant_id AND a.account_id = e.account_id
        WHERE e.tenant_id = ${tenant} AND e.account_id = ${accountId} AND e.created_at <= ${at}
        ORDER BY e.seq DESC LIMIT 1`.execute(raw)
      return r.rows[0] ? toEntry(r.rows[0]) : undefined
    },

    async expiredPending(now, limit) {
      const r = await sql<{ tenant_id: string; transaction_id: string }>`
        SELECT tenant_id, transaction_id FROM ledger_transactions
        WHERE status = 'pending' AND timeout_at IS NOT NULL AND timeout_at <= ${now}
        ORDER BY timeout_at LIMIT ${limit}`.execute(raw)
      return r.rows.map((x) => ({ tenantId: x.tenant_id, transactionId: x.transaction_id }))
    },

    async verify(tenant) {
      return verifyInvariants(raw, tenant)
    },
  }
}

/** The three invariants, checked from the entries up; every violation is named. */
async function verifyInvariants(db: Kysely<unknown>, tenant?: string): Promise<VerifyViolation[]> {
  const t = tenant ?? null
  const violations: VerifyViolation[] = []
  const unbalanced = await sql<{
    tenant_id: string
    transaction_id: string
    currency: string
    detail: string
  }>`
    SELECT tenant_id, transaction_id, currency,
      'pending D ' || sum(pending_delta) FILTER (WHERE side = 'D') || ' C ' || sum(pending_delta) FILTER (WHERE side = 'C')
      || ', posted D ' || sum(posted_delta) FILTER (WHERE side = 'D') || ' C ' || sum(posted_delta) FILTER (WHERE side = 'C') AS detail
    FROM ledger_entries WHERE (${t}::text IS NULL OR tenant_id = ${t})
    GROUP BY tenant_id, transaction_id, currency
    HAVING coalesce(sum(pending_delta) FILTER (WHERE side = 'D'), 0) <> coalesce(sum(pending_delta) FILTER (WHERE side = 'C'), 0)
        OR coalesce(sum(posted_delta) FILTER (WHERE side = 'D'), 0) <> coalesce(sum(posted_delta) FILTER (WHERE side = 'C'), 0)`.execute(
    db,
  )
  for (const r of unbalanced.rows) {
    violations.push({
      kind: 'transaction_unbalanced',
      tenantId: r.tenant_id,
      ref: r.transaction_id,
      detail: `${r.currency}: ${r.detail}`,
    })
  }
  const accounts = await sql<{ tenant_id: string; account_id: string; detail: string }>`
    WITH sums AS (
      SELECT tenant_id, account_id, count(*) AS n, max(seq) AS max_seq,
        coalesce(sum(pending_delta) FILTER (WHERE side = 'D'), 0) AS dp, coalesce(sum(posted_delta) FILTER (WHERE side = 'D'), 0) AS dpo,
        coalesce(sum(pending_delta) FILTER (WHERE side = 'C'), 0) AS cp, coalesce(sum(posted_delta) FILTER (WHERE side = 'C'), 0) AS cpo
      FROM ledger_entries WHERE (${t}::text IS NULL OR tenant_id = ${t}) GROUP BY tenant_id, account_id)
    SELECT a.tenant_id, a.account_id,
      format('stored dp=%s dpo=%s cp=%s cpo=%s seq=%s; entries dp=%s dpo=%s cp=%s cpo=%s count=%s max_seq=%s',
        a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.entry_seq,
        coalesce(s.dp, 0), coalesce(s.dpo, 0), coalesce(s.cp, 0), coalesce(s.cpo, 0), coalesce(s.n, 0), coalesce(s.max_seq, 0)) AS detail
    FROM ledger_accounts a LEFT JOIN sums s ON s.tenant_id = a.tenant_id AND s.account_id = a.account_id
    WHERE (${t}::text IS NULL OR a.tenant_id = ${t})
      AND (a.debits_pending <> coalesce(s.dp, 0) OR a.debits_posted <> coalesce(s.dpo, 0)
        OR a.credits_pending <> coalesce(s.cp, 0) OR a.credits_posted <> coalesce(s.cpo, 0)
        OR a.entry_seq <> coalesce(s.n, 0) OR a.entry_seq <> coalesce(s.max_seq, 0))`.execute(db)
  for (const r of accounts.rows) {
    violations.push({
      kind: 'account_balance_mismatch',
      tenantId: r.tenant_id,
      ref: r.account_id,
      detail: r.detail,
    })
  }
  const totals = await sql<{ tenant_id: string; currency: string; detail: string }>`
    SELECT tenant_id, currency,
      'posted debits-credits ' || (sum(debits_posted::numeric) - sum(credits_posted::numeric)) ||
      ', pending debits-credits ' || (sum(debits_pending::numeric) - sum(credits_pending::numeric)) AS detail
    FROM ledger_accounts WHERE (${t}::text IS NULL OR tenant_id = ${t})
    GROUP BY tenant_id, currency
    HAVING sum(debits_posted::numeric) <> sum(credits_posted::numeric)
        OR sum(debits_pending::numeric) <> sum(credits_pending::numeric)`.execute(db)
  for (const r of totals.rows) {
    violations.push({
      kind: 'currency_total_nonzero',
      tenantId: r.tenant_id,
      ref: r.currency,
      detail: r.detail,
    })
  }
  return violations
}
