import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { CommandOptions } from '../../shared/command.js'
import type { Db } from '../../shared/db/connect.js'
import { AppError, invalid } from '../../shared/errors.js'
import { GroupCommit } from '../../shared/group-commit.js'
import type { IdGenerator } from '../../shared/ids.js'
import { currency as lookupCurrency } from '../../shared/money.js'
import { LEDGER_ERRORS, ledgerError, type LedgerErrorCode } from './ledger.errors.js'
import {
  computeBalances,
  requestHash,
  validateCreate,
  type Account,
  type AccountInput,
  type Balances,
  type CommandResult,
  type Entry,
  type LedgerCommand,
  type Transaction,
  type TransactionStatus,
} from './ledger.js'
import type { ApplyItem, ApplyRow, LedgerStore, VerifyViolation } from './ledger.store.js'
import { createPgLedgerStore } from './ledger.store.pg.js'

export interface LedgerDeps {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger
  /** Largest batch sent in one SQL call (default 1000). */
  readonly batchMax?: number
  /** Batches the in-process batcher keeps in flight (default 2). */
  readonly maxInFlight?: number
  /**
   * Wakes the outbox relay once a transaction that wrote ledger events has committed: ledger_apply
   * and the account insert write event_outbox rows in their own SQL (the events module's Outbox fits).
   * Without it the relay finds them by polling.
   */
  readonly outbox?: { relayAfterCommit<DB>(tx: Kysely<DB>): Promise<void> }
}

export interface ExecuteOptions extends CommandOptions {
  /** All-or-nothing: one failing item leaves every item unapplied. */
  readonly atomic?: boolean
}

export interface VerifyReport {
  readonly ok: boolean
  readonly violations: readonly VerifyViolation[]
}

export interface Page<T> {
  readonly items: readonly T[]
  readonly next: string | null
}

export interface Ledger {
  /** Creates an account; repeating the same id (or code) with the same attributes returns it. */
  createAccount(tenant: string, input: AccountInput): Promise<Account>
  getAccount(tenant: string, id: string): Promise<Account>
  listAccounts(tenant: string, page?: { after?: string; limit?: number }): Promise<Page<Account>>
  /** Changes the credit limit or metadata at runtime. Errors: LEDGER_LIMIT_BELOW_USAGE. */
  updateAccount(
    tenant: string,
    id: string,
    patch: { creditLimit?: bigint; metadata?: Record<string, unknown> },
  ): Promise<Account>
  /**
   * Applies a batch in one SQL round trip, in order, one result per item.
   * Per-item errors: LEDGER_INSUFFICIENT_FUNDS · LEDGER_ACCOUNT_NOT_FOUND · LEDGER_CURRENCY_MISMATCH ·
   * LEDGER_PENDING_* · IDEMPOTENCY_CONFLICT · LEDGER_BATCH_ABORTED (atomic batches).
   * Idempotent on each create's idempotencyKey: a replay returns the original result.
   * Deadlocks and serialization failures are retried, never reported as item errors.
   */
  execute(tenant: string, commands: readonly LedgerCommand[], opts?: ExecuteOptions): Promise<CommandResult[]>
  /** One command through the in-process batcher (group commit). */
  submit(tenant: string, command: LedgerCommand): Promise<CommandResult>
  getTransaction(tenant: string, id: string): Promise<Transaction & { entries: readonly Entry[] }>
  /** Balances now, or as of a past moment (from the entry history). */
  balances(tenant: string, accountId: string, at?: Date): Promise<Balances & { asOf: Date }>
  history(tenant: string, accountId: string, page?: { after?: string; limit?: number }): Promise<Page<Entry>>
  /** Voids pending transactions past their timeout; returns how many expired. */
  expirePending(): Promise<number>
  verify(tenant?: string): Promise<VerifyReport>
  close(): Promise<void>
}

const RETRYABLE = new Set(['40P01', '40001', '55P03'])
const MAX_ATTEMPTS = 8

function toResult(row: ApplyRow): CommandResult {
  if (row.error_code) {
    const known = LEDGER_ERRORS[row.error_code as LedgerErrorCode] as readonly [string, string] | undefined
    const message = known ? known[1] : row.error_code
    return {
      ok: false,
      code: row.error_code,
      message: row.error_detail ? `${message}: ${row.error_detail}` : message,
      ...(row.error_detail ? { ref: row.error_detail } : {}),
    }
  }
  return {
    ok: true,
    transactionId: row.transaction_id!,
    status: row.status as TransactionStatus,
    replayed: row.replayed,
  }
}

/** What one SQL call may name only once: a create's idempotency key, or the pending transaction targeted. */
const exclusiveKey = (item: ApplyItem): string | null =>
  item.key ?? (item.op === 'create' ? null : `target:${item.id}`)

const pageLimit = (limit: number | undefined) => {
  const n = limit ?? 100
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw invalid('INVALID_LIMIT', 'limit must be from 1 to 1000.')
  return n
}

/** A post's target: an id, or the transaction an earlier pending create of the same call makes. */
function targetOf(target: string | { readonly item: number }, earlier: readonly ApplyItem[]): string {
  if (typeof target === 'string') return target
  const made = earlier[target.item]
  // Only code names items (the API takes ids): a bad position is a bug, never input.
  if (!made || made.op !== 'create' || !made.pending)
    throw new Error(`a post names item ${target.item}, which is not an earlier pending create of its call`)
  return made.id
}

/**
 * A post, void or expire of a pending transaction: it has no idempotency key, hash or metadata of
 * its own (the create holds them); a post's legs carry only the amounts posted.
 */
function pendingAction(op: 'post' | 'void' | 'expire', target: string, legs: ApplyItem['legs']): ApplyItem {
  return { op, id: target, key: null, hash: null, pending: false, timeoutSeconds: null, metadata: null, legs }
}

export function createLedger(deps: LedgerDeps): Ledger {
  const store: LedgerStore = createPgLedgerStore(deps.db)
  const batchMax = deps.batchMax ?? 1000

  /** `earlier`: the call's items before this one, which a post may name by position. */
  function toItem(cmd: LedgerCommand, earlier: readonly ApplyItem[] = []): ApplyItem {
    switch (cmd.op) {
      case 'create':
        validateCreate(cmd)
        return {
          op: 'create',
          id: deps.ids('txn'),
          key: cmd.idempotencyKey ?? null,
          // Only a key is ever compared with a hash: keyless creates skip hashing (client CPU in
          // series with every batch) and store none.
          hash: cmd.idempotencyKey === undefined ? null : requestHash(cmd),
          pending: cmd.pending ?? false,
          timeoutSeconds: cmd.timeoutSeconds ?? null,
          metadata: cmd.metadata ?? null,
          legs: cmd.legs,
        }
      case 'post':
        if (cmd.amounts?.some((a) => a < 0n))
          throw invalid('INVALID_AMOUNT', 'Posted amounts cannot be negative.')
        return pendingAction(
          'post',
          targetOf(cmd.transactionId, earlier),
          (cmd.amounts ?? []).map((amount) => ({ source: '', destination: '', amount, currency: '' })),
        )
      case 'void':
      case 'expire':
        return pendingAction(cmd.op, targetOf(cmd.transactionId, earlier), [])
    }
  }

  /**
   * A post or void naming a create of the same call was sent the id made for that create. If the
   * create was a replay (its key already used), it answered the earlier transaction instead, and the
   * post missed: those are sent again naming it (an all-or-nothing batch, aborted by the miss, whole).
   */
  async function retargetReplays(
    tenant: string,
    commands: readonly LedgerCommand[],
    items: readonly ApplyItem[],
    rows: ApplyRow[],
    opts: ExecuteOptions,
  ): Promise<ApplyRow[]> {
    const moved = new Map<number, string>()
    commands.forEach((cmd, i) => {
      if (cmd.op === 'create' || typeof cmd.transactionId === 'string') return
      const made = rows[cmd.transactionId.item]
      if (made?.replayed && made.transaction_id && made.transaction_id !== items[i]!.id)
        moved.set(i, made.transaction_id)
    })
    if (moved.size === 0) return rows
    const again = items.map((item, i) => ({ ...item, id: moved.get(i) ?? item.id }))
    if (opts.atomic) return executeItems(tenant, again, opts)
    const redo = [...moved.keys()]
    const redone = await executeItems(
      tenant,
      redo.map((i) => again[i]!),
      opts,
    )
    return rows.map((row, i) => (moved.has(i) ? { ...redone[redo.indexOf(i)]!, item: row.item } : row))
  }

  /** Calls the batch function, retrying deadlocks and serialization failures with jittered backoff. */
  async function send(
    tenant: string,
    items: readonly ApplyItem[],
    atomic: boolean,
    on?: Kysely<unknown>,
  ): Promise<ApplyRow[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await store.apply(tenant, deps.clock.now(), atomic, items, on)
        await (on ? deps.outbox?.relayAfterCommit(on) : deps.outbox?.relayAfterCommit(deps.db))
        return rows
      } catch (err) {
        const code = (err as { code?: string }).code
        // Inside a caller's transaction the whole transaction is aborted: the caller must retry it.
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS || on) {
          if (code && RETRYABLE.has(code))
            throw new AppError('LEDGER_CONTENDED', 'unavailable', 'Too much contention; retry.', {
              cause: err,
            })
          throw err
        }
        deps.logger?.debug({ code, attempt }, 'ledger batch retried')
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt))
      }
    }
  }

  // Group commit for single commands: one tenant per SQL call, a key at most once per call.
  const batcher = new GroupCommit<{ tenant: string; item: ApplyItem }, ApplyRow>({
    maxBatch: batchMax,
    maxInFlight: deps.maxInFlight ?? 2,
    closedMessage: 'ledger batcher is closed',
    groupOf: (w) => w.tenant,
    exclusiveKey: (w) => exclusiveKey(w.item),
    send: (ws) =>
      send(
        ws[0]!.tenant,
        ws.map((w) => w.item),
        false,
      ),
  })

  /** Splits a batch so each idempotency key appears once per call (the repeat then replays). */
  function rounds(items: ApplyItem[]): ApplyItem[][] {
    const out: ApplyItem[][] = []
    const seen = new Map<string, number>()
    for (const item of items) {
      const key = exclusiveKey(item)
      const round = key === null ? 0 : (seen.get(key) ?? -1) + 1
      if (key !== null) seen.set(key, round)
      ;(out[round] ??= []).push(item)
    }
    return out
  }

  async function executeItems(tenant: string, items: ApplyItem[], opts: ExecuteOptions): Promise<ApplyRow[]> {
    const on = opts.tx as Kysely<unknown> | undefined
    const parts = rounds(items)
    if (parts.length > 1 && opts.atomic) {
      throw invalid(
        'IDEMPOTENCY_KEY_REPEATED',
        'An all-or-nothing batch cannot name the same idempotency key or pending transaction twice.',
      )
    }
    if (parts.length === 1) return send(tenant, items, opts.atomic ?? false, on)
    const byItem = new Map<ApplyItem, ApplyRow>()
    for (const part of parts) {
      const rows = await send(tenant, part, false, on)
      part.forEach((item, i) => byItem.set(item, rows[i]!))
    }
    return items.map((item) => byItem.get(item)!)
  }

  const ledger: Ledger = {
    async createAccount(tenant, input) {
      const cur = lookupCurrency(input.currency)
      if (input.debitsMustNotExceedCredits && input.creditsMustNotExceedDebits) {
        throw invalid(
          'LEDGER_FLAGS_CONFLICT',
          'An account cannot set both debitsMustNotExceedCredits and creditsMustNotExceedDebits.',
        )
      }
      if (input.creditLimit !== undefined && input.creditLimit < 0n)
        throw invalid('INVALID_AMOUNT', 'creditLimit cannot be negative.')
      const id = input.id ?? deps.ids('acc')
      const created = await store.insertAccount(tenant, id, input, cur.exponent, deps.clock.now())
      if (created) {
        await deps.outbox?.relayAfterCommit(deps.db)
        return created
      }
      const existing =
        (await store.getAccount(tenant, id)) ??
        (input.code ? await store.getAccountByCode(tenant, input.code) : undefined)
      const same =
        existing &&
        existing.id === id &&
        existing.currency === input.currency &&
        existing.normalSide === input.normalSide &&
        existing.code === (input.code ?? null) &&
        existing.debitsMustNotExceedCredits === (input.debitsMustNotExceedCredits ?? false) &&
        existing.creditsMustNotExceedDebits === (input.creditsMustNotExceedDebits ?? false)
      if (same) return existing
      throw ledgerError('LEDGER_ACCOUNT_EXISTS', existing?.id ?? id)
    },

    async getAccount(tenant, id) {
      const account = await store.getAccount(tenant, id)
      if (!account) throw ledgerError('LEDGER_ACCOUNT_NOT_FOUND', id)
      return account
    },

    async listAccounts(tenant, page = {}) {
      const limit = pageLimit(page.limit)
      const items = await store.listAccounts(tenant, page.after, limit)
      return { items, next: items.length === limit ? items[items.length - 1]!.id : null }
    },

    async updateAccount(tenant, id, patch) {
      if (patch.creditLimit !== undefined && patch.creditLimit < 0n)
        throw invalid('INVALID_AMOUNT', 'creditLimit cannot be negative.')
      try {
        const account = await store.updateAccount(tenant, id, patch)
        if (!account) throw ledgerError('LEDGER_ACCOUNT_NOT_FOUND', id)
        return account
      } catch (err) {
        if ((err as { code?: string }).code === '23514') throw ledgerError('LEDGER_LIMIT_BELOW_USAGE', id)
        throw err
      }
    },

    async execute(tenant, commands, opts = {}) {
      if (commands.length === 0) return []
      if (commands.length > batchMax)
        throw invalid('LEDGER_BATCH_TOO_LARGE', `At most ${batchMax} items per batch.`)
      const items: ApplyItem[] = []
      commands.forEach((cmd, i) => {
        try {
          items.push(toItem(cmd, items))
        } catch (err) {
          if (err instanceof AppError) throw new AppError(err.code, err.kind, `items[${i}]: ${err.message}`)
          throw err
        }
      })
      const run = async (o: ExecuteOptions) =>
        retargetReplays(tenant, commands, items, await executeItems(tenant, items, o), o)
      if (opts.dryRun) {
        const rows = await deps.db
          .transaction()
          .execute(async (trx) => {
            const r = await run({ ...opts, tx: trx })
            throw new DryRun(r)
          })
          .catch((e: unknown) => {
            if (e instanceof DryRun) return e.rows
            throw e
          })
        return rows.map(toResult)
      }
      return (await run(opts)).map(toResult)
    },

    async submit(tenant, command) {
      return toResult(await batcher.submit({ tenant, item: toItem(command) }))
    },

    async getTransaction(tenant, id) {
      const txn = await store.getTransaction(tenant, id)
      if (!txn) throw ledgerError('LEDGER_TRANSACTION_NOT_FOUND', id)
      return { ...txn, entries: await store.transactionEntries(tenant, id) }
    },

    async balances(tenant, accountId, at) {
      const account = await ledger.getAccount(tenant, accountId)
      if (!at) return { ...account.balances, asOf: deps.clock.now() }
      const entry = await store.entryAsOf(tenant, accountId, at)
      const zero = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n }
      return { ...(entry ? entry.balanceAfter : computeBalances(account.normalSide, zero)), asOf: at }
    },

    async history(tenant, accountId, page = {}) {
      const limit = pageLimit(page.limit)
      if (page.after !== undefined && !/^[0-9]{1,18}$/.test(page.after))
        throw invalid('INVALID_CURSOR', 'after must be an entry sequence number.')
      await ledger.getAccount(tenant, accountId)
      const items = await store.listEntries(tenant, accountId, BigInt(page.after ?? '0'), limit)
      return { items, next: items.length === limit ? items[items.length - 1]!.seq.toString() : null }
    },

    async expirePending() {
      let total = 0
      for (;;) {
        const due = await store.expiredPending(deps.clock.now(), batchMax)
        if (due.length === 0) return total
        const byTenant = new Map<string, string[]>()
        for (const d of due) byTenant.set(d.tenantId, [...(byTenant.get(d.tenantId) ?? []), d.transactionId])
        for (const [tenant, ids] of byTenant) {
          const results = await ledger.execute(
            tenant,
            ids.map((transactionId) => ({ op: 'expire', transactionId })),
          )
          total += results.filter((r) => r.ok && !r.replayed).length
        }
        if (due.length < batchMax) return total
      }
    },

    async verify(tenant) {
      const violations = await store.verify(tenant)
      return { ok: violations.length === 0, violations }
    },

    close: () => batcher.close(),
  }
  return ledger
}

class DryRun extends Error {
  constructor(readonly rows: ApplyRow[]) {
    super('dry run')
  }
}
