import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * A PostgreSQL database of a test's own, beside MONETA_TEST_DATABASE_URL's, for suites that run
 * `moneta` as a child process (it migrates and writes as deployed) and drop everything afterwards.
 */
export interface ScratchDatabase {
  readonly name: string
  /** The base URL with this database's name; '' when no base URL is configured. */
  readonly url: string
  create(): Promise<void>
  /** Drops it (closing any session still on it); safe to call when create() never ran. */
  drop(): Promise<void>
}

export function scratchDatabase(baseUrl: string | undefined, prefix: string): ScratchDatabase {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`
  const url = baseUrl ? baseUrl.replace(/\/[^/?]*(\?|$)/, `/${name}$1`) : ''
  let admin: pg.Client | undefined
  return {
    name,
    url,
    async create() {
      admin = new pg.Client({ connectionString: baseUrl })
      await admin.connect()
      await admin.query(`CREATE DATABASE ${name}`)
    },
    async drop() {
      await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined)
      await admin?.end()
      admin = undefined
    },
  }
}
