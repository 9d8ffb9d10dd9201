import type { DatabaseConnection, Dialect, Driver, Kysely } from 'kysely'

/**
 * Work to run once a transaction has committed (a wake-up for the processes that read what it wrote),
 * keyed by the transaction's connection. Kysely has no commit hook, so connect() wraps its dialect's
 * driver: commitTransaction runs the connection's hooks after the COMMIT returned; a rollback or a
 * release drops them. Only connections of a wrapped driver take hooks, so none is left behind on a
 * pooled connection that nothing would ever run.
 */
const hooks = new WeakMap<DatabaseConnection, (() => void)[]>()
const hooked = new WeakSet<DatabaseConnection>()

function runHooks(connection: DatabaseConnection) {
  const fns = hooks.get(connection)
  if (!fns) return
  hooks.delete(connection)
  for (const fn of fns) fn()
}

function wrapDriver(inner: Driver): Driver {
  const own: Partial<Driver> = {
    async acquireConnection() {
      const connection = await inner.acquireConnection()
      hooked.add(connection)
      return connection
    },
    async commitTransaction(connection) {
      try {
        await inner.commitTransaction(connection)
      } catch (err) {
        hooks.delete(connection) // the transaction did not commit: nothing to announce
        throw err
      }
      runHooks(connection)
    },
    async rollbackTransaction(connection) {
      hooks.delete(connection)
      await inner.rollbackTransaction(connection)
    },
    async releaseConnection(connection) {
      hooks.delete(connection)
      await inner.releaseConnection(connection)
    },
  }
  // The driver's other methods (and which optional ones it has: savepoints) stay its own, bound to it.
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const mine = (own as Record<string | symbol, unknown>)[prop]
      if (mine) return mine
      const value: unknown = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** The dialect, with a driver that runs afterCommit hooks. */
export function withCommitHooks(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => wrapDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  }
}

/**
 * Runs `fn` once `db`'s transaction has committed; never if it rolls back. Outside a transaction the
 * caller's statements commit as they run, so `fn` runs now: call it after them. Register before the
 * COMMIT (anywhere inside the transaction's work); the same `fn` registered twice runs once. A handle made without connect() runs no hooks:
 * `fn` is dropped and the readers' polling is the wake-up.
 */
export async function afterCommit<DB>(db: Kysely<DB>, fn: () => void): Promise<void> {
  if (!db.isTransaction) {
    fn()
    return
  }
  await db.getExecutor().provideConnection((connection) => {
    if (!hooked.has(connection)) return Promise.resolve()
    const fns = hooks.get(connection)
    if (!fns) hooks.set(connection, [fn])
    else if (!fns.includes(fn)) fns.push(fn) // one wake-up per commit, however many writes asked
    return Promise.resolve()
  })
}
