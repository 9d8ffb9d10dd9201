import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { systemClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createLedger, type Ledger, type LedgerCommand } from './index.js'

/**
 * A reference model of the ledger's sequential semantics: each create applies all its legs,
 * then checks the limits of the accounts it debited/credited; a failing item changes nothing.
 */
interface ModelAccount {
  flags: 0 | 1 | 2
  limit: bigint
  dp: bigint
  dpo: bigint
  cp: bigint
  cpo: bigint
}

const ACCOUNTS: Record<string, { flags: 0 | 1 | 2; limit: bigint }> = {
  w1: { flags: 1, limit: 0n },
  w2: { flags: 1, limit: 25n },
  asset: { flags: 2, limit: 0n },
  open: { flags: 0, limit: 0n },
}
const IDS = [...Object.keys(ACCOUNTS), 'ghost']

function modelApply(model: Map<string, ModelAccount>, cmd: Extract<LedgerCommand, { op: 'create' }>): string {
  const snapshot = new Map([...model].map(([k, v]) => [k, { ...v }]))
  for (const leg of cmd.legs) {
    const s = model.get(leg.source)
    const d = model.get(leg.destination)
    if (!s || !d) {
      for (const [k, v] of snapshot) model.set(k, v)
      return 'LEDGER_ACCOUNT_NOT_FOUND'
    }
    if (cmd.pending) {
      s.dp += leg.amount
      d.cp += leg.amount
    } else {
      s.dpo += leg.amount
      d.cpo += leg.amount
    }
  }
  for (const leg of cmd.legs) {
    const s = model.get(leg.source)!
    const d = model.get(leg.destination)!
    const fail =
      (s.flags === 1 && s.dp + s.dpo > s.cpo + s.limit) || (d.flags === 2 && d.cp + d.cpo > d.dpo + d.limit)
    if (fail) {
      for (const [k, v] of snapshot) model.set(k, v)
      return 'LEDGER_INSUFFICIENT_FUNDS'
    }
  }
  return 'ok'
}

const legArb = fc
  .tuple(fc.constantFrom(...IDS), fc.constantFrom(...IDS), fc.bigInt({ min: 1n, max: 60n }))
  .filter(([s, d]) => s !== d)
  .map(([source, destination, amount]) => ({ source, destination, amount, currency: 'USD' }))

const createArb = fc.record({
  op: fc.constant('create' as const),
  legs: fc.array(legArb, { minLength: 1, maxLength: 3 }),
  pending: fc.boolean(),
})

describeEachDb('ledger properties', (target) => {
  let h: DbHandle
  let ledger: Ledger
  beforeAll(async () => {
    h = await openTestDb(target)
    ledger = createLedger({ db: h.db, clock: systemClock, ids: systemIds })
  })
  afterAll(async () => {
    await ledger.close()
    await h.close()
  })

  it('random batches give exactly the model results and never break an invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(createArb, { minLength: 1, maxLength: 25 }), { minLength: 1, maxLength: 4 }),
        async (batches) => {
          const t = freshTenant()
          const model = new Map<string, ModelAccount>()
          for (const [id, a] of Object.entries(ACCOUNTS)) {
            await ledger.createAccount(t, {
              id,
              currency: 'USD',
              normalSide: a.flags === 2 ? 'debit' : 'credit',
              debitsMustNotExceedCredits: a.flags === 1,
              creditsMustNotExceedDebits: a.flags === 2,
              creditLimit: a.limit,
            })
            model.set(id, { flags: a.flags, limit: a.limit, dp: 0n, dpo: 0n, cp: 0n, cpo: 0n })
          }
          for (const batch of batches) {
            const results = await ledger.execute(t, batch)
            const expected = batch.map((cmd) => modelApply(model, cmd))
            expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(expected)
          }
          for (const [id, m] of model) {
            const b = (await ledger.getAccount(t, id)).balances
            expect([b.debitsPending, b.debitsPosted, b.creditsPending, b.creditsPosted]).toEqual([
              m.dp,
              m.dpo,
              m.cp,
              m.cpo,
            ])
          }
          expect(await ledger.verify(t)).toEqual({ ok: true, violations: [] })
        },
      ),
      { numRuns: 40 },
    )
  })

  it('posts and voids of random pending transactions keep every invariant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          createArb.map((c) => ({ ...c, pending: true })),
          { minLength: 1, maxLength: 20 },
        ),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom('post', 'void', 'partial'), fc.bigInt({ min: 0n, max: 80n })),
          { maxLength: 30 },
        ),
        fc.boolean(),
        async (holds, actions, atomic) => {
          const t = freshTenant()
          for (const [id, a] of Object.entries(ACCOUNTS)) {
            await ledger.createAccount(t, {
              id,
              currency: 'USD',
              normalSide: 'credit',
              creditLimit: a.limit,
              debitsMustNotExceedCredits: a.flags === 1,
              creditsMustNotExceedDebits: a.flags === 2,
            })
          }
          await ledger.execute(t, [
            { op: 'create', legs: [{ source: 'open', destination: 'w1', amount: 500n, currency: 'USD' }] },
          ])
          const created = (await ledger.execute(t, holds)).flatMap((r) => (r.ok ? [r.transactionId] : []))
          if (created.length === 0) return
          const commands: LedgerCommand[] = actions.map(([i, action, amount]) => {
            const transactionId = created[i % created.length]!
            if (action === 'void') return { op: 'void', transactionId }
            return action === 'post'
              ? { op: 'post', transactionId }
              : { op: 'post', transactionId, amounts: [amount] }
          })
          const seen = new Set(commands.map((c) => (c.op === 'create' ? '' : c.transactionId)))
          if (atomic && seen.size !== commands.length) return // atomic batches may not name a target twice
          await ledger.execute(t, commands, { atomic })
          expect(await ledger.verify(t)).toEqual({ ok: true, violations: [] })
          for (const id of Object.keys(ACCOUNTS)) {
            const b = (await ledger.getAccount(t, id)).balances
            expect(b.debitsPending >= 0n && b.creditsPending >= 0n).toBe(true)
          }
        },
      ),
      { numRuns: 15 },
    )
  })
})
