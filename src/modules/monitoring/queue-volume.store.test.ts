import { expect, it } from 'vitest'
import { describeEachOpenDb, freshTenant } from '../../../test/support/db.js'
import { MODEL_RULE_ID } from './decision-model.js'
import { DAY_MS, type AlertDraft } from './monitoring.js'
import { createMonitoringStore } from './monitoring.store.js'
import { QUEUE_VOLUME_WINDOW_MS, queueVolumeOf } from './queue-volume.js'

/**
 * A restarted engine starts the queue's volume from the stored alerts (engine-cache.ts): a rule alert
 * marked outside the budget is in the rules' volume but not the queue, and the model's own is in the
 * queue alone. Without it, a restart forgot the month and the model filled places the queue had
 * already used.
 */
const T0 = Date.UTC(2026, 2, 1)

const alert = (
  subject: string,
  day: number,
  ruleId: string,
  model?: { withinBudget: boolean },
): AlertDraft & { alertId: string } => ({
  alertId: `al_${subject}_${day}`,
  dedupKey: `${ruleId}|${subject}|${day}`,
  ruleSetVersion: 1,
  ruleId,
  typology: undefined,
  subject,
  outcome: 'review',
  score: 50,
  reason: 'r',
  txnId: `t_${subject}_${day}`,
  at: T0 + day * DAY_MS,
  context: model ? { model } : {},
})

describeEachOpenDb('the queue volume after a restart', (db) => {
  it('reads the window’s alerts as the running engine counted them', async () => {
    const store = createMonitoringStore(db().db)
    const tenant = freshTenant()
    const other = freshTenant()
    const now = T0 + 40 * DAY_MS
    await store.upsertAlerts(db().db, tenant, [
      alert('old', 5, 'fan_out'), // before the window
      alert('r-in', 20, 'fan_out', { withinBudget: true }),
      alert('r-out', 21, 'structuring', { withinBudget: false }),
      alert('r-plain', 22, 'velocity'), // no model then: in the queue
      alert('m1', 23, MODEL_RULE_ID, { withinBudget: true }),
    ])
    // another tenant's alerts count for it alone
    await store.upsertAlerts(db().db, other, [alert('x', 30, 'fan_out', { withinBudget: false })])
    const facts = await store.recentQueueAlerts(tenant, now - QUEUE_VOLUME_WINDOW_MS)
    expect(facts.map((f) => [f.subject, f.model, f.queued])).toEqual([
      ['r-in', false, true],
      ['r-out', false, false],
      ['r-plain', false, true],
      ['m1', true, true],
    ])
    // queued {r-in, r-plain, m1} against ruled {r-in, r-out, r-plain}: full
    expect(queueVolumeOf(facts).hasRoom(now)).toBe(false)
    // a later rule alert outside the budget frees a place
    const q = queueVolumeOf(facts)
    q.ruled('r-late', now, false)
    expect(q.hasRoom(now)).toBe(true)
    const others = await store.recentQueueAlerts(other, now - QUEUE_VOLUME_WINDOW_MS)
    expect(others.map((f) => f.subject)).toEqual(['x'])
  })
})
