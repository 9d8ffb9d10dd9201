import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { BankAccount, BankItem, BankTransaction, BankTransfer, TransferStatus } from './banking.js'
import type { ProviderName, ProviderTransaction } from './provider.js'

/** SQL for the banking tables. `db` may be a transaction (Kysely's Transaction is a Kysely). */
export interface ItemRow extends BankItem {
  readonly accessTokenCt: Buffer
  readonly cursor: string | null
}

export interface NewAccount {
  readonly id: string
  readonly providerAccountId: string
  readonly name: string
  readonly type: string
  readonly subtype: string | null
  readonly currency: string
  readonly status: 'open' | 'closed'
  readonly verification: 'verified' | 'pending' | 'failed'
  readonly routingNumber: string | null
  readonly accountNumberCt: Buffer | null
  readonly mask: string | null
  readonly ownerNames: readonly string[]
}

export interface TransferRow extends BankTransfer {
  readonly requestHash: string
}

type Raw = Record<string, unknown>
const d = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string))
const s = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string))

function toItem(r: Raw): ItemRow {
  return {
    id: r.item_id as string,
    provider: r.provider as ProviderName,
    providerItemId: r.provider_item_id as string,
    customerId: r.customer_id as string,
    customerName: r.customer_name as string,
    institutionId: r.institution_id as string,
    institutionName: r.institution_name as string,
    status: r.status as BankItem['status'],
    errorCode: s(r.error_code),
    lastSyncedAt: d(r.last_synced_at),
    createdAt: d(r.created_at)!,
    accessTokenCt: Buffer.from(r.access_token_ct as Uint8Array),
    cursor: s(r.sync_cursor),
  }
}

function toAccount(r: Raw): BankAccount & { accountNumberCt: Buffer | null } {
  return {
    id: r.account_id as string,
    itemId: r.item_id as string,
    providerAccountId: r.provider_account_id as string,
    customerId: r.customer_id as string,
    name: r.name as string,
    type: r.type as string,
    subtype: s(r.subtype),
    currency: r.currency as string,
    status: r.status as BankAccount['status'],
    verification: r.verification as BankAccount['verification'],
    capture: {
      institutionId: r.institution_id as string,
      institutionName: r.institution_name as string,
      routingNumber: s(r.routing_number),
      mask: s(r.mask),
      ownerNames: r.owner_names as string[],
    },
    createdAt: d(r.created_at)!,
    accountNumberCt: r.account_number_ct ? Buffer.from(r.account_number_ct as Uint8Array) : null,
  }
}

function toTransfer(r: Raw): TransferRow {
  return {
    id: r.transfer_id as string,
    accountId: r.account_id as string,
    direction: r.direction as BankTransfer['direction'],
    amount: BigInt(r.amount as bigint),
    currency: r.currency as string,
    status: r.status as TransferStatus,
    ledgerAccountId: r.ledger_account_id as string,
    ledgerTransactionId: r.ledger_transaction_id as string,
    reversalTransactionId: s(r.reversal_transaction_id),
    rail: r.rail as string,
    railTransferId: s(r.rail_transfer_id),
    returnCode: s(r.return_code),
    returnReason: s(r.return_reason),
    description: s(r.description),
    idempotencyKey: s(r.idempotency_key),
    createdAt: d(r.created_at)!,
    settledAt: d(r.settled_at),
    returnedAt: d(r.returned_at),
    requestHash: r.request_hash as string,
  }
}

export function createBankingStore(db: Db) {
  return {
    async insertLinkToken(
      tenant: string,
      t: {
        linkToken: string
        provider: ProviderName
        customerId: string
        customerName: string
        itemId: string | null
        createdAt: Date
        expiresAt: Date
      },
    ): Promise<void> {
      await sql`INSERT INTO bank_link_tokens
        (tenant_id, link_token, provider, customer_id, customer_name, item_id, created_at, expires_at)
        VALUES (${tenant}, ${t.linkToken}, ${t.provider}, ${t.customerId}, ${t.customerName}, ${t.itemId},
                ${t.createdAt}, ${t.expiresAt})`.execute(db)
    },

    /** Claims an unused, unexpired link token; undefined when it is not (or no longer) claimable. */
    async claimLinkToken(
      tx: Db,
      tenant: string,
      linkToken: string,
      now: Date,
    ): Promise<
      | { provider: ProviderName; customerId: string; customerName: string; state: 'claimed' | 'stale' }
      | undefined
    > {
      const r = await sql<Raw>`SELECT * FROM bank_link_tokens
        WHERE tenant_id = ${tenant} AND link_token = ${linkToken} FOR UPDATE`.execute(tx)
      const row = r.rows[0]
      if (!row) return undefined
      const base = {
        provider: row.provider as ProviderName,
        customerId: row.customer_id as string,
        customerName: row.customer_name as string,
      }
      if (row.used_at !== null || d(row.expires_at)! <= now) return { ...base, state: 'stale' }
      await sql`UPDATE bank_link_tokens SET used_at = ${now}
        WHERE tenant_id = ${tenant} AND link_token = ${linkToken}`.execute(tx)
      return { ...base, state: 'claimed' }
    },

    async insertItem(
      tx: Db,
      tenant: string,
      item: Omit<ItemRow, 'status' | 'errorCode' | 'lastSyncedAt' | 'cursor'>,
      accounts: readonly NewAccount[],
    ): Promise<void> {
      await sql`INSERT INTO bank_items (tenant_id, item_id, provider, provider_item_id, customer_id,
          customer_name, access_token_ct, institution_id, institution_name, status, created_at)
        VALUES (${tenant}, ${item.id}, ${item.provider}, ${item.providerItemId}, ${item.customerId},
          ${item.customerName}, ${item.accessTokenCt}, ${item.institutionId}, ${item.institutionName},
          'active', ${item.createdAt})`.execute(tx)
      for (const a of accounts) {
        await sql`INSERT INTO bank_accounts (tenant_id, account_id, item_id, provider_account_id, customer_id,
            name, type, subtype, currency, status, verification, institution_id, institution_name,
            routing_number, account_number_ct, mask, owner_names, created_at)
          VALUES (${tenant}, ${a.id}, ${item.id}, ${a.providerAccountId}, ${item.customerId}, ${a.name},
            ${a.type}, ${a.subtype}, ${a.currency}, ${a.status}, ${a.verification}, ${item.institutionId},
            ${item.institutionName}, ${a.routingNumber}, ${a.accountNumberCt}, ${a.mask},
            ${JSON.stringify(a.ownerNames)}::jsonb, ${item.createdAt})`.execute(tx)
      }
    },

    async getItem(tenant: string, itemId: string): Promise<ItemRow | undefined> {
      const r =
        await sql<Raw>`SELECT * FROM bank_items WHERE tenant_id = ${tenant} AND item_id = ${itemId}`.execute(
          db,
        )
      return r.rows[0] ? toItem(r.rows[0]) : undefined
    },

    async listItems(tenant: string, customerId?: string): Promise<ItemRow[]> {
      const r = await sql<Raw>`SELECT * FROM bank_items WHERE tenant_id = ${tenant}
        AND (${customerId ?? null}::text IS NULL OR customer_id = ${customerId ?? null})
        ORDER BY item_id LIMIT 1000`.execute(db)
      return r.rows.map(toItem)
    },

    /** Items a webhook names, in whichever tenant holds them. */
    async findByProviderItem(
      provider: ProviderName,
      providerItemId: string,
    ): Promise<{ tenant: string; itemId: string }[]> {
      const r = await sql<{ tenant_id: string; item_id: string }>`SELECT tenant_id, item_id FROM bank_items
        WHERE provider = ${provider} AND provider_item_id = ${providerItemId} AND status <> 'removed'`.execute(
        db,
      )
      return r.rows.map((x) => ({ tenant: x.tenant_id, itemId: x.item_id }))
    },

    async setItemStatus(
      tenant: string,
      itemId: string,
      status: BankItem['status'],
      errorCode: string | null,
      now: Date,
    ): Promise<void> {
      await sql`UPDATE bank_items SET status = ${status}, error_code = ${errorCode},
          removed_at = CASE WHEN ${status} = 'removed' THEN ${now}::timestamptz ELSE removed_at END
        WHERE tenant_id = ${tenant} AND item_id = ${itemId} AND status <> 'removed'`.execute(db)
    },

    async getAccount(
      tenant: string,
      accountId: string,
      ex: Db = db,
    ): Promise<(BankAccount & { accountNumberCt: Buffer | null }) | undefined> {
      const r = await sql<Raw>`SELECT * FROM bank_accounts
        WHERE tenant_id = ${tenant} AND account_id = ${accountId}`.execute(ex)
      return r.rows[0] ? toAccount(r.rows[0]) : undefined
    },

    async listAccounts(tenant: string, f: { itemId?: string; customerId?: string }): Promise<BankAccount[]> {
      const r = await sql<Raw>`SELECT a.* FROM bank_accounts a
        JOIN bank_items i ON i.tenant_id = a.tenant_id AND i.item_id = a.item_id AND i.status <> 'removed'
        WHERE a.tenant_id = ${tenant}
          AND (${f.itemId ?? null}::text IS NULL OR a.item_id = ${f.itemId ?? null})
          AND (${f.customerId ?? null}::text IS NULL OR a.customer_id = ${f.customerId ?? null})
        ORDER BY a.account_id LIMIT 1000`.execute(db)
      return r.rows.map((x) => {
        const { accountNumberCt: _n, ...a } = toAccount(x)
        return a
      })
    },

    async setAccountState(
      tx: Db,
      tenant: string,
      accountId: string,
      patch: { status?: 'closed'; verification?: 'revoked' },
    ): Promise<void> {
      await sql`UPDATE bank_accounts SET status = coalesce(${patch.status ?? null}, status),
          verification = coalesce(${patch.verification ?? null}, verification)
        WHERE tenant_id = ${tenant} AND account_id = ${accountId}`.execute(tx)
    },

    /**
     * Takes the item's sync lease (one sync per item at a time, across processes); returns the
     * cursor to start from, or undefined when another sync holds it or the item is not active.
     */
    async acquireSyncLease(
      tenant: string,
      itemId: string,
      now: Date,
      until: Date,
    ): Promise<{ cursor: string | null } | undefined> {
      const r = await sql<{ sync_cursor: string | null }>`UPDATE bank_items SET sync_lease_until = ${until}
        WHERE tenant_id = ${tenant} AND item_id = ${itemId} AND status IN ('active', 'login_required')
          AND (sync_lease_until IS NULL OR sync_lease_until < ${now})
        RETURNING sync_cursor`.execute(db)
      return r.rows[0] ? { cursor: r.rows[0].sync_cursor } : undefined
    },

    async releaseSyncLease(tenant: string, itemId: string): Promise<void> {
      await sql`UPDATE bank_items SET sync_lease_until = NULL
        WHERE tenant_id = ${tenant} AND item_id = ${itemId}`.execute(db)
    },

    async commitSync(tx: Db, tenant: string, itemId: string, cursor: string, now: Date): Promise<void> {
      await sql`UPDATE bank_items SET sync_cursor = ${cursor}, last_synced_at = ${now}, sync_lease_until = NULL
        WHERE tenant_id = ${tenant} AND item_id = ${itemId}`.execute(tx)
    },

    /** Active items not synced since `before` (the poll that covers lost webhooks). */
    async itemsDue(before: Date, limit: number): Promise<{ tenant: string; itemId: string }[]> {
      const r = await sql<{ tenant_id: string; item_id: string }>`SELECT tenant_id, item_id FROM bank_items
        WHERE status = 'active' AND (last_synced_at IS NULL OR last_synced_at < ${before})
        ORDER BY last_synced_at NULLS FIRST LIMIT ${limit}`.execute(db)
      return r.rows.map((x) => ({ tenant: x.tenant_id, itemId: x.item_id }))
    },

    /**
     * Upserts one page with a single multi-row INSERT … ON CONFLICT (rows passed as arrays and
     * unnested, so the statement has a fixed number of parameters however long the page). No
     * RETURNING: counting what was new is one query at the end of the run (countCreated).
     */
    async upsertTransactions(
      tenant: string,
      itemId: string,
      run: string,
      rows: readonly ProviderTransaction[],
      now: Date,
    ): Promise<void> {
      if (rows.length === 0) return
      // One row may appear once per statement: keep the last version of each id.
      const last = new Map<string, ProviderTransaction>()
      for (const t of rows) last.set(t.providerTransactionId, t)
      const xs = [...last.values()]
      await sql`
        INSERT INTO bank_transactions (tenant_id, item_id, provider_transaction_id, provider_account_id, amount,
          currency, date, name, merchant_name, pending, category, created_run, sync_run, updated_at)
        SELECT ${tenant}, ${itemId}, x.id, x.acct, x.amount::bigint, x.cur, x.dt::date, x.name, x.merchant,
               x.pending::boolean, x.category, ${run}, ${run}, ${now}::timestamptz
        FROM unnest(${xs.map((t) => t.providerTransactionId)}::text[], ${xs.map((t) => t.providerAccountId)}::text[],
                    ${xs.map((t) => t.amount.toString())}::text[], ${xs.map((t) => t.currency)}::text[],
                    ${xs.map((t) => t.date)}::text[], ${xs.map((t) => t.name)}::text[],
                    ${xs.map((t) => t.merchantName)}::text[], ${xs.map((t) => String(t.pending))}::text[],
                    ${xs.map((t) => t.category)}::text[])
             AS x(id, acct, amount, cur, dt, name, merchant, pending, category)
        ON CONFLICT (tenant_id, item_id, provider_transaction_id) DO UPDATE SET
          provider_account_id = EXCLUDED.provider_account_id, amount = EXCLUDED.amount,
          currency = EXCLUDED.currency, date = EXCLUDED.date, name = EXCLUDED.name,
          merchant_name = EXCLUDED.merchant_name, pending = EXCLUDED.pending, category = EXCLUDED.category,
          sync_run = EXCLUDED.sync_run, updated_at = EXCLUDED.updated_at, removed_at = NULL`.execute(db)
    },

    /** Rows first written by these runs (one sync and its restarted attempts): what the sync added. */
    async countCreated(tenant: string, itemId: string, runs: readonly string[]): Promise<number> {
      const r = await sql<{ n: string }>`SELECT count(*)::text AS n FROM bank_transactions
        WHERE tenant_id = ${tenant} AND item_id = ${itemId} AND created_run = ANY(${[...runs]}::text[])`.execute(
        db,
      )
      return Number(r.rows[0]!.n)
    },

    async markRemoved(
      tenant: string,
      itemId: string,
      ids: readonly string[],
      run: string,
      now: Date,
    ): Promise<number> {
      if (ids.length === 0) return 0
      const r = await sql`UPDATE bank_transactions SET removed_at = ${now}, sync_run = ${run}
        WHERE tenant_id = ${tenant} AND item_id = ${itemId} AND removed_at IS NULL
          AND provider_transaction_id = ANY(${[...ids]}::text[])`.execute(db)
      return Number(r.numAffectedRows ?? 0n)
    },

    /**
     * After a restarted run: rows first written by an abandoned attempt and not confirmed by the
     * final one describe data the provider no longer reports; they go.
     */
    async dropUnconfirmed(tenant: string, itemId: string, abandoned: readonly string[]): Promise<number> {
      if (abandoned.length === 0) return 0
      const r = await sql`DELETE FROM bank_transactions
        WHERE tenant_id = ${tenant} AND item_id = ${itemId}
          AND created_run = ANY(${[...abandoned]}::text[]) AND sync_run = ANY(${[...abandoned]}::text[])`.execute(
        db,
      )
      return Number(r.numAffectedRows ?? 0n)
    },

    /** Full-refresh providers: whatever this run did not list is gone at the provider. */
    async removeUnseen(tenant: string, itemId: string, run: string, now: Date): Promise<number> {
      const r = await sql`UPDATE bank_transactions SET removed_at = ${now}
        WHERE tenant_id = ${tenant} AND item_id = ${itemId} AND removed_at IS NULL AND sync_run <> ${run}`.execute(
        db,
      )
      return Number(r.numAffectedRows ?? 0n)
    },

    async listTransactions(
      tenant: string,
      account: { itemId: string; providerAccountId: string; id: string },
      page: { limit: number; after?: { date: string; id: string } },
    ): Promise<BankTransaction[]> {
      const a = page.after
      const r = await sql<Raw>`SELECT provider_transaction_id, amount, currency, date::text AS date, name,
          merchant_name, pending, category
        FROM bank_transactions
        WHERE tenant_id = ${tenant} AND item_id = ${account.itemId}
          AND provider_account_id = ${account.providerAccountId} AND removed_at IS NULL
          AND (${a?.date ?? null}::date IS NULL
               OR (date, provider_transaction_id) < (${a?.date ?? null}::date, ${a?.id ?? null}::text))
        ORDER BY date DESC, provider_transaction_id DESC LIMIT ${page.limit}`.execute(db)
      return r.rows.map((x) => ({
        providerTransactionId: x.provider_transaction_id as string,
        accountId: account.id,
        amount: BigInt(x.amount as bigint),
        currency: x.currency as string,
        date: x.date as string,
        name: x.name as string,
        merchantName: s(x.merchant_name),
        pending: x.pending as boolean,
        category: s(x.category),
      }))
    },

    async countTransactions(tenant: string, itemId: string): Promise<{ live: number; removed: number }> {
      const r = await sql<{ live: string; removed: string }>`SELECT
          count(*) FILTER (WHERE removed_at IS NULL)::text AS live,
          count(*) FILTER (WHERE removed_at IS NOT NULL)::text AS removed
        FROM bank_transactions WHERE tenant_id = ${tenant} AND item_id = ${itemId}`.execute(db)
      return { live: Number(r.rows[0]!.live), removed: Number(r.rows[0]!.removed) }
    },

    async insertTransfer(tx: Db, tenant: string, t: TransferRow, checks: unknown): Promise<void> {
      await sql`INSERT INTO bank_transfers (tenant_id, transfer_id, account_id, direction, amount, currency,
          status, ledger_account_id, ledger_transaction_id, rail, description, idempotency_key,
          request_hash, checks, created_at)
        VALUES (${tenant}, ${t.id}, ${t.accountId}, ${t.direction}, ${t.amount.toString()}::bigint, ${t.currency},
          ${t.status}, ${t.ledgerAccountId}, ${t.ledgerTransactionId}, ${t.rail}, ${t.description},
          ${t.idempotencyKey}, ${t.requestHash}, ${JSON.stringify(checks)}::jsonb, ${t.createdAt})`.execute(
        tx,
      )
    },

    async getTransfer(
      tenant: string,
      id: string,
      tx: Db = db,
      lock = false,
    ): Promise<TransferRow | undefined> {
      const r = lock
        ? await sql<Raw>`SELECT * FROM bank_transfers WHERE tenant_id = ${tenant} AND transfer_id = ${id}
            FOR UPDATE`.execute(tx)
        : await sql<Raw>`SELECT * FROM bank_transfers WHERE tenant_id = ${tenant} AND transfer_id = ${id}`.execute(
            tx,
          )
      return r.rows[0] ? toTransfer(r.rows[0]) : undefined
    },

    async getTransferByKey(tenant: string, key: string): Promise<TransferRow | undefined> {
      const r = await sql<Raw>`SELECT * FROM bank_transfers
        WHERE tenant_id = ${tenant} AND idempotency_key = ${key}`.execute(db)
      return r.rows[0] ? toTransfer(r.rows[0]) : undefined
    },

    async listTransfers(tenant: string, accountId?: string): Promise<TransferRow[]> {
      const r = await sql<Raw>`SELECT * FROM bank_transfers WHERE tenant_id = ${tenant}
          AND (${accountId ?? null}::text IS NULL OR account_id = ${accountId ?? null})
        ORDER BY transfer_id DESC LIMIT 1000`.execute(db)
      return r.rows.map(toTransfer)
    },

    async updateTransfer(
      tx: Db,
      tenant: string,
      id: string,
      patch: {
        status?: TransferStatus
        railTransferId?: string
        returnCode?: string
        returnReason?: string
        reversalTransactionId?: string
        settledAt?: Date
        returnedAt?: Date
      },
    ): Promise<void> {
      await sql`UPDATE bank_transfers SET
          status = coalesce(${patch.status ?? null}, status),
          rail_transfer_id = coalesce(${patch.railTransferId ?? null}, rail_transfer_id),
          return_code = coalesce(${patch.returnCode ?? null}, return_code),
          return_reason = coalesce(${patch.returnReason ?? null}, return_reason),
          reversal_transaction_id = coalesce(${patch.reversalTransactionId ?? null}, reversal_transaction_id),
          settled_at = coalesce(${patch.settledAt ?? null}::timestamptz, settled_at),
          returned_at = coalesce(${patch.returnedAt ?? null}::timestamptz, returned_at)
        WHERE tenant_id = ${tenant} AND transfer_id = ${id}`.execute(tx)
    },

    /** Records a webhook once; false when the same delivery was seen before. */
    async recordWebhook(
      tenant: string,
      provider: ProviderName,
      dedupKey: string,
      itemId: string | null,
      action: string,
      now: Date,
    ): Promise<boolean> {
      const r =
        await sql`INSERT INTO bank_webhook_events (tenant_id, provider, dedup_key, item_id, action, received_at)
        VALUES (${tenant}, ${provider}, ${dedupKey}, ${itemId}, ${action}, ${now})
        ON CONFLICT DO NOTHING`.execute(db)
      return Number(r.numAffectedRows ?? 0n) === 1
    },
  }
}

export type BankingStore = ReturnType<typeof createBankingStore>
