/** Bank transfers: institution checks, pending ledger holds, settlement and ACH returns. */
import { AppError, invalid } from '../../shared/errors.js'
import { currency as lookupCurrency, MAX_AMOUNT } from '../../shared/money.js'
import {
  ACH_RETURN_CODES,
  institutionChecks,
  transferRequestHash,
  type BankAccount,
  type BankTransfer,
} from './banking.js'
import { bankingError } from './banking.errors.js'
import { BANKING_EVENTS } from './banking.events.js'
import type { Banking, BankingDeps } from './banking.service.js'
import type { BankingStore, ItemRow, TransferRow } from './banking.store.js'
import type { ItemSnapshot } from './provider.js'

export interface TransferContext extends BankingDeps {
  readonly store: BankingStore
  readonly loadAccount: (tenant: string, accountId: string) => Promise<BankAccount>
  readonly loadItem: (tenant: string, itemId: string) => Promise<ItemRow>
  /** The item as the provider reports it now (item errors already translated). */
  readonly snapshot: (tenant: string, item: ItemRow) => Promise<ItemSnapshot>
}

type TransferOps = Pick<
  Banking,
  'createTransfer' | 'getTransfer' | 'listTransfers' | 'settleTransfer' | 'returnTransfer'
>

const strip = ({ requestHash: _h, ...t }: TransferRow): BankTransfer => t

export function createTransferOps(deps: TransferContext): TransferOps {
  const { db, clock, ids, store, loadAccount, loadItem } = deps
  function transferPayload(t: BankTransfer, customerId: string) {
    return {
      transferId: t.id,
      accountId: t.accountId,
      customerId,
      direction: t.direction,
      amount: t.amount.toString(),
      currency: t.currency,
      status: t.status,
      ledgerTransactionId: t.ledgerTransactionId,
      ...(t.returnCode ? { returnCode: t.returnCode } : {}),
      ...(t.returnReason ? { returnReason: t.returnReason } : {}),
    }
  }

  async function ensureLedgerAccount(
    tenant: string,
    id: string,
    cur: string,
    normalSide: 'debit' | 'credit',
  ) {
    try {
      await deps.ledger.getAccount(tenant, id)
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') {
        await deps.ledger.createAccount(tenant, { id, currency: cur, normalSide })
        return
      }
      throw err
    }
  }

  const isUniqueViolation = (e: unknown) =>
    typeof e === 'object' && e !== null && (e as { code?: string }).code === '23505'

  const ops: TransferOps = {
    async createTransfer(tenant, input, opts = {}) {
      if (input.amount <= 0n || input.amount > MAX_AMOUNT)
        throw invalid('INVALID_AMOUNT', 'amount must be a positive integer in minor units.')
      lookupCurrency(input.currency)
      const account = await loadAccount(tenant, input.accountId)
      const item = await loadItem(tenant, account.itemId)
      if (item.status === 'removed') throw bankingError('BANK_ITEM_REMOVED')
      if (input.currency !== account.currency)
        throw bankingError(
          'BANK_CURRENCY_MISMATCH',
          `The account holds ${account.currency}, not ${input.currency}.`,
        )
      const ledgerAccountId = input.ledgerAccountId ?? `bank_customer_${account.customerId}_${input.currency}`
      const description = input.description ?? null
      const requestHash = transferRequestHash({ ...input, ledgerAccountId, description })
      const key = opts.idempotencyKey ?? null
      const replay = async (): Promise<{ transfer: BankTransfer; replayed: boolean } | undefined> => {
        if (!key) return undefined
        const existing = await store.getTransferByKey(tenant, key)
        if (!existing) return undefined
        if (existing.requestHash !== requestHash) throw bankingError('IDEMPOTENCY_CONFLICT')
        return { transfer: strip(existing), replayed: true }
      }
      const earlier = await replay()
      if (earlier) return earlier
      if (item.status === 'login_required')
        throw bankingError('BANK_ITEM_LOGIN_REQUIRED', undefined, { details: { vendorCode: item.errorCode } })

      // The institution as it is now, against what was captured when the account was linked.
      const snap = await deps.snapshot(tenant, item)
      const live = snap.accounts.find((a) => a.providerAccountId === account.providerAccountId)
      const failures = institutionChecks(
        { ...account.capture, verification: account.verification },
        {
          institutionId: snap.institutionId,
          account:
            account.status === 'closed' || !live
              ? live && { ...live, status: 'closed', available: null, current: null }
              : {
                  status: live.status,
                  verification: live.verification,
                  routingNumber: live.routingNumber,
                  ownerNames: live.ownerNames,
                  available: live.balance.available,
                  current: live.balance.current,
                  currency: live.currency,
                },
        },
        item.customerName,
        input,
      )
      const first = failures[0]
      if (first) {
        deps.logger?.info(
          { tenant, accountId: account.id, failures: failures.map((f) => f.code) },
          'bank transfer blocked',
        )
        throw bankingError(first.code, first.message, { details: { failures } })
      }
      if (opts.dryRun) throw invalid('BANK_DRY_RUN_UNSUPPORTED', 'Bank transfers have no dry run.')

      const clearing = `bank_clearing_${input.currency}`
      await ensureLedgerAccount(tenant, clearing, input.currency, 'debit')
      if (!input.ledgerAccountId) await ensureLedgerAccount(tenant, ledgerAccountId, input.currency, 'credit')
      const id = ids('btr')
      const now = clock.now()
      const legs =
        input.direction === 'debit'
          ? [
              {
                source: clearing,
                destination: ledgerAccountId,
                amount: input.amount,
                currency: input.currency,
              },
            ]
          : [
              {
                source: ledgerAccountId,
                destination: clearing,
                amount: input.amount,
                currency: input.currency,
              },
            ]
      const checks = {
        checkedAt: now.toISOString(),
        institutionId: snap.institutionId,
        routingNumberLast4: live?.routingNumber?.slice(-4) ?? null,
        balanceAvailable: live?.balance.available?.toString() ?? null,
        ownerMatched: true,
      }
      let transfer: TransferRow
      try {
        transfer = await db.transaction().execute(async (tx) => {
          const [res] = await deps.ledger.execute(
            tenant,
            [
              {
                op: 'create',
                legs,
                pending: true,
                metadata: { bankTransferId: id },
                idempotencyKey: `bank:${id}`,
              },
            ],
            { tx },
          )
          if (!res?.ok)
            throw bankingError(
              'BANK_LEDGER_REJECTED',
              `The ledger refused the transfer: ${res?.message ?? '?'}`,
              {
                details: { ledgerCode: res?.code },
              },
            )
          const row: TransferRow = {
            id,
            accountId: account.id,
            direction: input.direction,
            amount: input.amount,
            currency: input.currency,
            status: 'pending',
            ledgerAccountId,
            ledgerTransactionId: res.transactionId,
            reversalTransactionId: null,
            rail: deps.rail.name,
            railTransferId: null,
            returnCode: null,
            returnReason: null,
            description,
            idempotencyKey: key,
            createdAt: now,
            settledAt: null,
            returnedAt: null,
            requestHash,
          }
          await store.insertTransfer(tx, tenant, row, checks)
          await deps.outbox.enqueue(tx, [
            {
              topic: BANKING_EVENTS.transferCreated,
              key: id,
              tenantId: tenant,
              payload: transferPayload(row, account.customerId),
            },
          ])
          return row
        })
      } catch (err) {
        // Two requests with one key raced: the loser answers with the winner's transfer.
        if (isUniqueViolation(err)) {
          const again = await replay()
          if (again) return again
        }
        throw err
      }
      try {
        const { railTransferId } = await deps.rail.initiate({
          transferId: id,
          direction: input.direction,
          amount: input.amount,
          currency: input.currency,
          routingNumber: account.capture.routingNumber,
          accountMask: account.capture.mask,
        })
        await store.updateTransfer(db, tenant, id, { railTransferId })
      } catch (err) {
        await db.transaction().execute(async (tx) => {
          await deps.ledger.execute(tenant, [{ op: 'void', transactionId: transfer.ledgerTransactionId }], {
            tx,
          })
          await store.updateTransfer(tx, tenant, id, { status: 'failed' })
        })
        throw err
      }
      return { transfer: strip((await store.getTransfer(tenant, id))!), replayed: false }
    },

    async getTransfer(tenant, id) {
      const t = await store.getTransfer(tenant, id)
      if (!t) throw bankingError('BANK_TRANSFER_NOT_FOUND', `No bank transfer ${id}.`)
      return strip(t)
    },

    async listTransfers(tenant, accountId) {
      return (await store.listTransfers(tenant, accountId)).map(strip)
    },

    async settleTransfer(tenant, id) {
      await db.transaction().execute(async (tx) => {
        const t = await store.getTransfer(tenant, id, tx, true)
        if (!t) throw bankingError('BANK_TRANSFER_NOT_FOUND', `No bank transfer ${id}.`)
        if (t.status === 'settled') return
        if (t.status !== 'pending')
          throw bankingError(
            'BANK_TRANSFER_NOT_PENDING',
            `Transfer ${id} is ${t.status}; only pending transfers settle.`,
          )
        const [res] = await deps.ledger.execute(
          tenant,
          [{ op: 'post', transactionId: t.ledgerTransactionId }],
          { tx },
        )
        if (!res?.ok)
          throw bankingError('BANK_LEDGER_REJECTED', res?.message, { details: { ledgerCode: res?.code } })
        const at = clock.now()
        await store.updateTransfer(tx, tenant, id, { status: 'settled', settledAt: at })
        const account = await store.getAccount(tenant, t.accountId, tx)
        await deps.outbox.enqueue(tx, [
          {
            topic: BANKING_EVENTS.transferSettled,
            key: id,
            tenantId: tenant,
            payload: transferPayload({ ...t, status: 'settled' }, account?.customerId ?? ''),
          },
        ])
      })
      return ops.getTransfer(tenant, id)
    },

    async returnTransfer(tenant, id, code) {
      const known = ACH_RETURN_CODES[code]
      if (!known)
        throw bankingError(
          'BANK_RETURN_CODE_UNKNOWN',
          `Unknown ACH return code "${code}"; handled: ${Object.keys(ACH_RETURN_CODES).join(', ')}.`,
        )
      await db.transaction().execute(async (tx) => {
        const t = await store.getTransfer(tenant, id, tx, true)
        if (!t) throw bankingError('BANK_TRANSFER_NOT_FOUND', `No bank transfer ${id}.`)
        if (t.status === 'returned' && t.returnCode === code) return
        if (t.status !== 'pending' && t.status !== 'settled')
          throw bankingError(
            'BANK_TRANSFER_NOT_PENDING',
            `Transfer ${id} is ${t.status}; it cannot be returned.`,
          )
        let reversal: string | undefined
        if (t.status === 'pending') {
          const [res] = await deps.ledger.execute(
            tenant,
            [{ op: 'void', transactionId: t.ledgerTransactionId }],
            { tx },
          )
          if (!res?.ok)
            throw bankingError('BANK_LEDGER_REJECTED', res?.message, { details: { ledgerCode: res?.code } })
        } else {
          // Settled money came back: a posted transaction with the legs reversed.
          const clearing = `bank_clearing_${t.currency}`
          const [from, to] =
            t.direction === 'debit' ? [t.ledgerAccountId, clearing] : [clearing, t.ledgerAccountId]
          const [res] = await deps.ledger.execute(
            tenant,
            [
              {
                op: 'create',
                legs: [{ source: from, destination: to, amount: t.amount, currency: t.currency }],
                metadata: { bankTransferId: id, achReturn: code },
                idempotencyKey: `bank:${id}:return`,
              },
            ],
            { tx },
          )
          if (!res?.ok)
            throw bankingError('BANK_LEDGER_REJECTED', res?.message, { details: { ledgerCode: res?.code } })
          reversal = res.transactionId
        }
        const at = clock.now()
        await store.updateTransfer(tx, tenant, id, {
          status: 'returned',
          returnCode: code,
          returnReason: known.reason,
          returnedAt: at,
          ...(reversal ? { reversalTransactionId: reversal } : {}),
        })
        // Some returns say the account cannot be used again until the customer relinks it.
        if (known.account === 'close')
          await store.setAccountState(tx, tenant, t.accountId, { status: 'closed' })
        if (known.account === 'revoke')
          await store.setAccountState(tx, tenant, t.accountId, { verification: 'revoked' })
        const account = await store.getAccount(tenant, t.accountId, tx)
        await deps.outbox.enqueue(tx, [
          {
            topic: BANKING_EVENTS.transferReturned,
            key: id,
            tenantId: tenant,
            payload: transferPayload(
              { ...t, status: 'returned', returnCode: code, returnReason: known.reason },
              account?.customerId ?? '',
            ),
          },
        ])
      })
      return ops.getTransfer(tenant, id)
    },
  }
  return ops
}
