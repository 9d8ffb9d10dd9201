import type { Db } from '../../shared/db/connect.js'
import type { AuditKeys } from '../crypto/index.js'
import { encodeEntry, entryMacFactory, signCheckpoint, type AuditEntry } from './audit.js'
import { entriesJson, insertCheckpoint, insertEntries, lockHead, updateHead } from './audit.store.js'
import { lockAppender, takeIntake, type TakenRecord } from './intake.store.js'
import { Frontier, leafHash } from './merkle.js'

export interface AppenderDeps {
  readonly db: Db
  readonly keys: AuditKeys
  readonly now: () => Date
}

/** What one append transaction did: `busy` when another process held the appender lock. */
export type AppendResult = { readonly appended: number } | 'busy'

/**
 * Moves the oldest intake records into the Merkle log in ONE transaction: take (delete) them,
 * append them per tenant under the head's row lock (hash, MAC, frontier, one signed checkpoint per
 * tenant), commit. A crash before the commit leaves them in the intake for the next appender; after
 * it, they are gone from the intake and in the log — exactly once either way.
 */
export function createAppender(
  deps: AppenderDeps,
): (opts: { wait: boolean; limit: number }) => Promise<AppendResult> {
  const entryMac = entryMacFactory(deps.keys.macKey)

  function byTenant(records: readonly TakenRecord[]): Map<string, TakenRecord[]> {
    const out = new Map<string, TakenRecord[]>()
    for (const r of records) {
      let list = out.get(r.tenant)
      if (!list) out.set(r.tenant, (list = []))
      list.push(r)
    }
    return out
  }

  return async ({ wait, limit }) =>
    deps.db.transaction().execute(async (trx): Promise<AppendResult> => {
      if (!(await lockAppender(trx, wait))) return 'busy'
      const taken = await takeIntake(trx, limit)
      if (taken.length === 0) return { appended: 0 }
      const at = deps.now()
      const groups = byTenant(taken)
      // Heads are locked in a fixed order so appenders and proofs never deadlock.
      for (const tenant of [...groups.keys()].sort()) {
        const items = groups.get(tenant)!
        const head = await lockHead(trx, tenant, at)
        const frontier = Frontier.decode(head.treeSize, head.frontier)
        const rows = items.map((r, i) => {
          const seq = head.treeSize + i
          const entry = encodeEntry(toEntry(r, seq))
          const leaf = leafHash(entry)
          frontier.append(leaf)
          return { seq, entry, leaf, mac: entryMac(tenant, seq, leaf), at: r.ts }
        })
        await insertEntries(trx, tenant, entriesJson(rows))
        await updateHead(trx, tenant, { treeSize: frontier.size, frontier: frontier.encode() }, at)
        await insertCheckpoint(
          trx,
          signCheckpoint(
            deps.keys.signingKey,
            deps.keys.keyId,
            tenant,
            frontier.size,
            frontier.root(),
            at.toISOString(),
          ),
        )
      }
      return { appended: taken.length }
    })
}

function toEntry(r: TakenRecord, seq: number): AuditEntry {
  return {
    seq,
    ts: r.ts,
    tenant: r.tenant,
    actor: r.actor,
    action: r.action,
    resource: r.resource,
    outcome: r.outcome as AuditEntry['outcome'],
    origin: r.origin,
    ...(r.details === undefined ? {} : { details: r.details }),
  }
}
