import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest'
import { createTestApp, type TestApp } from '../../../test/support/app.js'
import { testDbTargets } from '../../../test/support/db.js'
import { ScorerCache } from './scorer-cache.js'

/**
 * Session 56's guard, tested in session 57: a decision whose write failed asks the risk module to
 * rebuild the tenant's scorer (DecisionModelPort.forget). In a database outage every decision fails,
 * and each asked: one rebuild per tenant runs at a time, the others' asks are dropped while it runs,
 * and once it has settled the next ask starts another. The builds are the real ones, on the test
 * database (a tenant without a model: each ends in RISK_NO_LIVE_MODEL).
 */
for (const target of testDbTargets()) {
  describe(`forgetting a tenant's scorer [${target.name}]`, () => {
    let t: TestApp
    let build: MockInstance<() => Promise<unknown>>
    beforeAll(async () => {
      t = await createTestApp(target)
      build = vi.spyOn(ScorerCache.prototype as unknown as { build: () => Promise<unknown> }, 'build')
    })
    /** What monitoring calls when a decision's write failed. */
    const forget = (tenant: string): void => t.app.services.risk.decisionModel.forget!(tenant)
    afterEach(() => build.mockClear())
    afterAll(async () => {
      build.mockRestore()
      await t.close()
    })

    /** Until every build started so far has settled, and the guard's cleanup after it has run. */
    const settled = async (): Promise<void> => {
      await Promise.allSettled(build.mock.results.map((r) => r.value as Promise<unknown>))
      await new Promise((r) => setTimeout(r, 20))
    }

    it('starts one rebuild for a burst of failed decisions, and another once it has settled', async () => {
      for (let i = 0; i < 5; i++) forget(t.tenantId)
      expect(build).toHaveBeenCalledTimes(1)
      await settled()
      forget(t.tenantId)
      expect(build).toHaveBeenCalledTimes(2)
      await settled()
    })

    it('keeps tenants apart: one tenant’s rebuild does not hold back another’s', async () => {
      const other = await t.newTenant()
      forget(t.tenantId)
      forget(other.tenantId)
      forget(other.tenantId)
      expect(build).toHaveBeenCalledTimes(2)
      await settled()
    })
  })
}
