import type { Worker } from 'node:worker_threads'
import { spawnTsWorker } from '../../shared/ts-worker.js'
import type { RuleSetDef } from './monitoring.js'
import type { RuleProblem } from './rules.js'

/**
 * Tenant-authored rule sets are untrusted code. Before one is validated, saved or moved to shadow
 * or active, it is compiled and every rule evaluated against worst-case inputs in a worker thread
 * (rule-probe.worker.ts) with a hard deadline: a rule that does not finish is refused and the worker
 * is terminated, so a runaway never holds the event loop that serves every tenant. The static cost
 * bound (rule-cost.ts) and linear-time regexes (cel-regex.ts) mean a rule that passes cannot run
 * away on the main thread's decision hot path either; the probe is the check that does not rely on
 * that reasoning being complete.
 */

export interface RuleProbe {
  /** Problems found (compile problems, or one "did not finish" problem); [] when the set is fine. */
  probe(def: RuleSetDef, knownLists: ReadonlySet<string>): Promise<RuleProblem[]>
  close(): Promise<void>
}

export const PROBE_TIMEOUT_MS = 2_000

interface Running {
  readonly worker: Worker
  readonly ready: Promise<void>
}

/** The probe's worker, loaded through tsx (the sources are TypeScript). */
function spawn(): Running {
  const worker = spawnTsWorker(new URL('./rule-probe.worker.ts', import.meta.url))
  worker.unref() // an idle probe never keeps the process alive
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve())
    worker.once('error', reject)
  })
  ready.catch(() => undefined)
  return { worker, ready }
}

export function createRuleProbe(opts: { timeoutMs?: number } = {}): RuleProbe {
  const timeoutMs = opts.timeoutMs ?? PROBE_TIMEOUT_MS
  let running: Running | undefined
  let queue: Promise<unknown> = Promise.resolve()
  let nextId = 0

  async function once(def: RuleSetDef, lists: readonly string[]): Promise<RuleProblem[]> {
    const r = (running ??= spawn())
    await r.ready // start-up is not part of the deadline
    const id = ++nextId
    return new Promise<RuleProblem[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup()
        running = undefined
        void r.worker.terminate()
        resolve([
          {
            ruleId: '-',
            index: -1,
            field: 'rules',
            message: `evaluating the rule set on worst-case input did not finish within ${timeoutMs} ms; simplify the expressions.`,
          },
        ])
      }, timeoutMs)
      const onMessage = (m: { id: number; problems: RuleProblem[] }): void => {
        if (m.id !== id) return
        cleanup()
        resolve(m.problems)
      }
      const onExit = (): void => {
        cleanup()
        running = undefined
        reject(new Error('rule probe worker exited'))
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        r.worker.off('message', onMessage)
        r.worker.off('exit', onExit)
      }
      r.worker.on('message', onMessage)
      r.worker.on('exit', onExit)
      r.worker.postMessage({ id, def, lists })
    })
  }

  return {
    probe(def, knownLists) {
      // one probe at a time: a deadline that terminates the worker ends only its own probe
      const run = queue.then(() => once(def, [...knownLists]))
      queue = run.catch(() => undefined)
      return run
    },
    async close() {
      const r = running
      running = undefined
      if (r) await r.worker.terminate()
    },
  }
}
