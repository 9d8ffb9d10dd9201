import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * The audit writes started on behalf of one request (or CLI command). `record()` registers its
 * intake insert with the scope it runs in, so the HTTP edge can await every entry a request caused
 * before it acknowledges — including entries from code that calls `record()` without awaiting it.
 */
export interface AuditScope {
  /** Resolves once every write registered so far (and any registered while waiting) is durable. */
  settled(): Promise<void>
  /** Names who the scope's work is done for (the authenticated principal), for `actor()`. */
  identify(actor: string, origin: string): void
  /** The request is answered: timers or loops it started no longer register with it or act as it. */
  end(): void
}

interface ScopeState {
  readonly writes: Set<Promise<void>>
  who: { readonly actor: string; readonly origin: string } | undefined
  ended: boolean
}

export class DurableScopes {
  readonly #als = new AsyncLocalStorage<ScopeState>()

  /** Runs `fn` (and everything it starts asynchronously) inside a fresh scope. */
  run(fn: () => void): AuditScope {
    const state: ScopeState = { writes: new Set<Promise<void>>(), who: undefined, ended: false }
    const { writes } = state
    this.#als.run(state, fn)
    return {
      identify(actor, origin) {
        state.who = { actor, origin }
      },
      end() {
        state.ended = true
        state.who = undefined
      },
      async settled() {
        while (writes.size > 0) {
          const now = [...writes]
          writes.clear()
          await Promise.all(now)
        }
      },
    }
  }

  /** Registers a write with the current scope, if any. */
  track(write: Promise<void>): void {
    const state = this.#als.getStore()
    if (!state || state.ended) return
    const { writes } = state
    writes.add(write)
    // Awaited by settled(); not an unhandled rejection meanwhile.
    write.catch(() => undefined)
  }

  /** Who the current scope's work is done for, if a scope named it. */
  actor(): { readonly actor: string; readonly origin: string } | undefined {
    return this.#als.getStore()?.who
  }
}
