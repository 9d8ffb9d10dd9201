import type { MonTxn } from './monitoring.js'

/**
 * Tests' transaction builder: `tx(at, src, dst, amount, over)` with ids `${prefix}0`, `${prefix}1`, …,
 * a transfer in `currency` unless `over` says otherwise.
 */
export function txnBuilder(
  prefix: string,
  currency: string,
): (at: number, src: string, dst: string, amount: bigint, over?: Partial<MonTxn>) => MonTxn {
  let seq = 0
  return (at, src, dst, amount, over = {}) => ({
    id: `${prefix}${seq++}`,
    at,
    amount,
    currency,
    kind: 'transfer',
    src,
    dst,
    ...over,
  })
}
