import { isAppError } from '../../src/shared/errors.js'

/**
 * A balance for tests: an account that does not exist yet holds nothing, so LEDGER_ACCOUNT_NOT_FOUND
 * reads as `empty`; any other error (a broken query, a lost connection) fails the test instead of
 * passing as a zero balance.
 */
export async function balanceOr<T>(read: () => Promise<T>, empty: T): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (isAppError(err) && err.code === 'LEDGER_ACCOUNT_NOT_FOUND') return empty
    throw err
  }
}
