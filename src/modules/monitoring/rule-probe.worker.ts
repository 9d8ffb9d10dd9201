import { parentPort } from 'node:worker_threads'
import { MATCH_INPUT_MAX } from './cel-regex.js'
import type { RuleSetDef } from './monitoring.js'
import { compileInternal, newEvalContext, withLists, type EvalContext } from './rules.js'

/**
 * The worker half of rule-probe.ts: compiles a tenant's rule set and evaluates every rule, with the
 * interpreter and the compiled path, against worst-case inputs (every string at the length cap, in
 * shapes that trip backtracking regexes). It runs off the main thread, so a runaway is ended by
 * terminating the worker, never by waiting for it.
 */

interface ProbeRequest {
  readonly id: number
  readonly def: RuleSetDef
  readonly lists: readonly string[]
}

function contexts(): EvalContext[] {
  const shapes = ['', 'a'.repeat(MATCH_INPUT_MAX), `${'a'.repeat(MATCH_INPUT_MAX - 1)}!`, '\u0000'.repeat(64)]
  return shapes.map((s) => {
    const ctx = newEvalContext()
    const t = ctx.txn
    t.id = t.src = t.dst = t.kind = t.currency = t.src_country = t.dst_country = s
    for (const p of [ctx.src_party, ctx.dst_party]) {
      p.segment = p.country = p.risk = s
    }
    return ctx
  })
}

parentPort!.on('message', (req: ProbeRequest) => {
  const { problems, compiled } = compileInternal(req.def, 0, new Set(req.lists))
  if (compiled) {
    withLists(new Map(req.lists.map((name) => [name, new Set<string>()])))
    for (const ctx of contexts()) {
      for (const rule of compiled.rules) {
        for (const run of [rule.cel, rule.fn]) {
          try {
            run(ctx)
          } catch {
            // an evaluation error only means the rule does not fire
          }
        }
      }
    }
  }
  parentPort!.postMessage({ id: req.id, problems })
})
parentPort!.postMessage('ready')
