import { LIST_NAME_RE } from './monitoring.checks.js'
import type { MonitoringContext } from './monitoring-context.js'
import { invalidList } from './monitoring.errors.js'
import type { Party } from './monitoring.js'

/** The lists rules read (high-risk countries, watchlists) and the parties (KYC facts) features read. */

/** MONITORING_LIST_INVALID. A new version of the list; a running engine reads it from the next decision. */
export async function saveList(
  ctx: MonitoringContext,
  tenant: string,
  name: string,
  items: readonly string[],
): Promise<{ name: string; version: number; size: number }> {
  if (!LIST_NAME_RE.test(name))
    throw invalidList('A list name is 1–64 chars of a-z, 0-9 and _, starting with a letter.')
  if (items.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 256)) {
    throw invalidList('List items must be non-empty strings of at most 256 chars.')
  }
  const uniq = [...new Set(items)].sort()
  const version = await ctx.store.saveList(tenant, name, uniq)
  const running = ctx.engines.running(tenant)
  if (running) {
    const te = await running
    const next = new Map(te.engine.lists)
    next.set(name, new Set(uniq))
    te.engine.lists = next
    te.knownLists.add(name)
  }
  return { name, version, size: uniq.length }
}

/** Stores KYC facts and updates a running engine in place (its features stay warm). */
export async function upsertParties(
  ctx: MonitoringContext,
  tenant: string,
  parties: readonly Party[],
): Promise<number> {
  await ctx.store.upsertParties(tenant, parties)
  const running = ctx.engines.running(tenant)
  if (running) {
    const te = await running
    for (const p of parties) te.engine.parties.set(p.id, p)
  }
  return parties.length
}
