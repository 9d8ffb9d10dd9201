import { randomBytes } from 'node:crypto'
import { createCrypto, localKeyStore } from '../src/modules/crypto/index.js'
import { systemClock, type Clock } from '../src/shared/clock.js'
import type { Db } from '../src/shared/db/connect.js'
import { systemIds } from '../src/shared/ids.js'

/**
 * The crypto module with a master key that lives only as long as the bench process: benches build
 * throwaway data in a database of their own, and nothing they encrypt is read by a later process.
 */
export const throwawayCrypto = (db: Db, clock: Clock = systemClock) =>
  createCrypto({ db, clock, ids: systemIds, keyStore: localKeyStore(randomBytes(32)) })
