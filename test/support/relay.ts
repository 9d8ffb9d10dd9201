import { createEventBackbone, type EventBackbone, type EventMessage } from '../../src/modules/events/index.js'
import type { DbHandle } from '../../src/shared/db/connect.js'
import { newId } from '../../src/shared/ids.js'

/**
 * A backbone whose relay serves one tenant and polls only once a minute (so only an explicit round
 * or a wake-up moves it), with a memory-bus subscriber collecting that tenant's messages on `topic`.
 * Not started: the caller runs rounds itself or calls `bb.start()`.
 */
export async function tenantRelay(
  db: DbHandle,
  tenantId: string,
  topic: string,
): Promise<{ bb: EventBackbone; seen: EventMessage[] }> {
  const bb = createEventBackbone({
    db,
    bus: { kind: 'memory' },
    relay: { pollMs: 60_000, tenants: [tenantId] },
    delay: () => Promise.resolve(),
  })
  const seen: EventMessage[] = []
  await bb.bus.subscribe({
    group: newId('grp'),
    topics: [topic],
    batchHandler: (msgs) => {
      seen.push(...msgs.filter((m) => m.tenantId === tenantId))
      return Promise.resolve()
    },
  })
  return { bb, seen }
}
