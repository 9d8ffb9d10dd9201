/**
 * Reconciliation matcher: N gateway charge records (with fees) against 2N ledger facts (capture +
 * fee), one in a thousand amounts planted wrong. `npm run bench -- reconcile [--records N] [--rounds R]`.
 * Pure CPU (no database, no network): the time a daily run spends matching once both sides are read.
 */
import type { LedgerFact, SettlementRecord } from '../src/modules/payments/index.js'
import { matchSettlements } from '../src/modules/payments/index.js'

const arg = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  const v = i >= 0 ? Number(args[i + 1]) : fallback
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`)
  return v
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, 'records', 100_000)
  const rounds = arg(args, 'rounds', 3)
  const at = new Date('2026-05-01T12:00:00Z')
  const records: SettlementRecord[] = []
  const facts: LedgerFact[] = []
  for (let i = 0; i < n; i++) {
    const amount = 1000n + BigInt(i % 997)
    records.push({
      id: `txn_${i}`,
      type: 'charge',
      sourceRef: `pi_${i}`,
      amount,
      fee: 59n,
      currency: 'USD',
      createdAt: at,
    })
    const planted = i % 1000 === 0 ? 1n : 0n
    facts.push({
      kind: 'capture',
      gateway: 'stripe',
      gatewayRef: `pi_${i}`,
      ledgerTransactionId: `c_${i}`,
      amount: amount + planted,
      currency: 'USD',
      at,
    })
    facts.push({
      kind: 'fee',
      gateway: 'stripe',
      gatewayRef: `pi_${i}`,
      ledgerTransactionId: `f_${i}`,
      amount: -59n,
      currency: 'USD',
      at,
    })
  }
  process.stdout.write(`reconcile: ${n} records, ${facts.length} facts, ${rounds} rounds\n`)
  const wall: number[] = []
  const cpu: number[] = []
  let mismatches = 0
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const lines = matchSettlements(records, facts)
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
    mismatches = lines.filter((l) => l.status !== 'matched').length
    process.stdout.write(`  round ${r + 1}: ${Math.round(wall[r]!)} ms wall, ${Math.round(cpu[r]!)} ms cpu\n`)
  }
  const best = Math.min(...cpu)
  process.stdout.write(
    `${JSON.stringify({
      bench: 'reconcile',
      records: n,
      facts: facts.length,
      mismatches,
      bestCpuMs: Math.round(best),
      bestWallMs: Math.round(Math.min(...wall)),
      recordsPerCpuSecond: Math.round((n / best) * 1000),
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    })}\n`,
  )
  return Promise.resolve()
}
