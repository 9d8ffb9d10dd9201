import { tmpdir } from 'node:os'
import { afterAll, describe, expect, it } from 'vitest'
import { isAppError } from '../../shared/errors.js'
import { MATCH_INPUT_MAX, rewriteMatches } from './cel-regex.js'
import { createRuleProbe } from './rule-probe.js'
import { RULE_COST_MAX } from './rule-cost.js'
import { checkRuleSet, compileRuleSet, newEvalContext, type CompiledRule } from './rules.js'
import type { RuleDef } from './monitoring.js'

// Security finding 1 (issue 15): `txn.src.matches('^(a+)+$')` once blocked the event loop for 36 s.

const rule = (when: string): RuleDef => ({ id: 'r1', when, outcome: 'review', score: 1, reason: 'x' })
const one = (when: string): CompiledRule => compileRuleSet({ rules: [rule(when)] }, 1, new Set()).rules[0]!

describe('CEL matches() runs in linear time (RE2)', () => {
  it('a catastrophic-backtracking pattern answers at once, compiled and interpreted', () => {
    const r = one("txn.src.matches('^(a+)+$')")
    const ctx = newEvalContext()
    ctx.txn.src = `${'a'.repeat(4000)}!` // backtracking JavaScript RegExp: longer than the universe
    const t0 = performance.now()
    expect(r.fn(ctx)).toBe(false)
    expect(r.cel(ctx)).toBe(false)
    expect(performance.now() - t0).toBeLessThan(1_000)
    ctx.txn.src = 'aaaa'
    expect(r.fn(ctx)).toBe(true)
    expect(r.cel(ctx)).toBe(true)
  })

  it('keeps CEL semantics: a search, not a full match; nested calls rewritten', () => {
    const r = one("txn.src.matches('b+') && txn.dst.matches(txn.src.matches('x') ? 'x' : 'y$')")
    const ctx = newEvalContext()
    ctx.txn.src = 'abbc'
    ctx.txn.dst = 'zzy'
    expect(r.fn(ctx)).toBe(true)
    expect(r.cel(ctx)).toBe(true)
    ctx.txn.dst = 'yz'
    expect(r.cel(ctx)).toBe(false)
    expect(rewriteMatches("a.matches('x')", { op: 'id', args: 'a' })).toBeUndefined()
  })

  it('refuses inputs over the cap (the rule does not fire) and patterns RE2 does not accept', () => {
    const r = one("txn.src.matches('a')")
    const ctx = newEvalContext()
    ctx.txn.src = 'a'.repeat(MATCH_INPUT_MAX + 1)
    expect(() => r.cel(ctx)).toThrow()
    const problems = checkRuleSet({ rules: [rule("txn.src.matches('(a)\\\\1')")] }, new Set())
    expect(problems[0]?.message).toMatch(/invalid regular expression/)
    expect(problems[0]?.position?.start).toBe(16)
  })

  it('refuses expressions whose static cost is over the bound', () => {
    const big = `[${Array.from({ length: 400 }, (_, i) => i).join(',')}]`
    const when = `${big}.all(a, ${big}.all(b, a + b >= 0))`
    const problems = checkRuleSet({ rules: [rule(when)] }, new Set())
    expect(problems[0]?.message).toContain(`at most ${RULE_COST_MAX}`)
    expect(checkRuleSet({ rules: [rule('[1, 2, 3].exists(x, x == 2)')] }, new Set())).toEqual([])
  })
})

describe('rule probe (worker with a hard deadline)', () => {
  const probe = createRuleProbe({ timeoutMs: 300 })
  afterAll(() => probe.close())

  it('accepts a normal rule set and returns compile problems', async () => {
    expect(await probe.probe({ rules: [rule("txn.src.matches('^(a+)+$')")] }, new Set())).toEqual([])
    const bad = await probe.probe({ rules: [rule('txn.nope > 1')] }, new Set())
    expect(bad[0]?.field).toBe('when')
  }, 30_000)

  it('ends a runaway evaluation by terminating the worker; the main thread stays free', async () => {
    // Each rule is under the static cost bound (10⁴ inner steps), but 80 of them evaluated on four
    // worst-case inputs take seconds in the interpreter: the deadline, not the bound, stops them.
    const list = `[${Array.from({ length: 100 }, (_, i) => i).join(',')}]`
    const heavy = Array.from({ length: 80 }, (_, i) => ({
      ...rule(`${list}.all(a, ${list}.all(b, a != b - ${1000 + i}))`),
      id: `r${i}`,
    }))
    expect(checkRuleSet({ rules: heavy }, new Set())).toEqual([])
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const problems = await probe.probe({ rules: heavy }, new Set())
    clearInterval(timer)
    expect(problems.map((p) => p.message).join(' ')).toMatch(/did not finish within 300 ms/)
    expect(ticks).toBeGreaterThan(5) // the event loop kept turning while the worker ran
    // and the next probe works (a fresh worker)
    expect(await probe.probe({ rules: [rule('txn.hour > 1.0')] }, new Set())).toEqual([])
  }, 30_000)
})

// `moneta start` run from another directory (a deployment's own): the worker once resolved tsx from
// the working directory and every rule-set save answered 500 (found by the issue-17 checker flow).
it('the probe starts whatever the working directory', async () => {
  const before = process.cwd()
  process.chdir(tmpdir())
  const probe = createRuleProbe({ timeoutMs: 5_000 })
  try {
    expect(await probe.probe({ rules: [rule('txn.hour > 1.0')] }, new Set())).toEqual([])
  } finally {
    process.chdir(before)
    await probe.close()
  }
}, 30_000)

it('MONITORING_RULE_INVALID is the code for both', () => {
  try {
    compileRuleSet({ rules: [rule("txn.src.matches('(')")] }, 1, new Set())
    expect.unreachable()
  } catch (e) {
    expect(isAppError(e) && e.code).toBe('MONITORING_RULE_INVALID')
  }
})
