import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { afterGapCheck, afterScan, gapsToCheck, opensGap, startCursor } from './relay-cursor.js'

describe('relay cursor', () => {
  it('records the seqs missing between the rows it read as gaps, and holds the watermark below them', () => {
    const c = afterScan(startCursor(10n), [11n, 14n, 15n, 18n], 100n)
    expect(c.scanned).toBe(18n)
    expect(c.gaps).toEqual([
      { from: 12n, to: 13n, xidCeiling: 100n },
      { from: 16n, to: 17n, xidCeiling: 100n },
    ])
    expect(c.watermark).toBe(11n)
  })

  it('tells a read that leaves a seq missing from one that continues without a hole', () => {
    expect(opensGap(startCursor(10n), [11n, 12n, 13n])).toBe(false)
    expect(opensGap(startCursor(10n), [])).toBe(false)
    expect(opensGap(startCursor(10n), [12n])).toBe(true)
    expect(opensGap(startCursor(10n), [11n, 13n])).toBe(true)
  })

  it('a gap that commits later is relayed; one whose transaction ended unseen is dropped', () => {
    const c = afterScan(startCursor(0n), [1n, 4n], 100n) // 2 and 3 missing, xid < 100
    const stillRunning = afterGapCheck(c, [], 99n)
    expect(stillRunning.dead).toEqual([])
    expect(stillRunning.cursor.watermark).toBe(1n)
    const later = afterGapCheck(c, [3n], 100n) // 3 committed; 2's transaction has ended: rolled back
    expect(later.dead).toEqual([{ from: 2n, to: 2n, xidCeiling: 100n }])
    expect(later.cursor.gaps).toEqual([])
    expect(later.cursor.watermark).toBe(4n)
  })

  it('a gap found partly filled keeps the rest open while its transactions may still commit', () => {
    const c = afterScan(startCursor(0n), [10n], 50n)
    const r = afterGapCheck(c, [3n, 4n, 7n], 40n)
    expect(r.cursor.gaps.map((g) => [g.from, g.to])).toEqual([
      [1n, 2n],
      [5n, 6n],
      [8n, 9n],
    ])
    expect(r.cursor.watermark).toBe(0n)
  })

  it('looks a wide gap up only once its transactions have ended; an unchecked gap is never retired', () => {
    const c = afterScan(startCursor(0n), [5n, 100_000n], 70n) // gaps 1–4 (small) and 6–99,999 (wide)
    expect(gapsToCheck(c, 69n, 1000n, 10).map((g) => g.from)).toEqual([1n])
    expect(gapsToCheck(c, 70n, 1000n, 10).map((g) => g.from)).toEqual([1n, 6n])
    const small = c.gaps[0]!
    const r = afterGapCheck(c, [], 80n, (g) => g === small)
    expect(r.dead).toEqual([small])
    expect(r.cursor.gaps).toEqual([c.gaps[1]])
    expect(r.cursor.watermark).toBe(5n)
  })

  // Model: seqs are handed out in order, each to a transaction whose xid is its seq (xids come
  // before seqs); each commits or rolls back at some later step. The relay, run at random steps,
  // must publish every committed seq exactly once and never drop one that later commits.
  it('publishes every committed seq exactly once, whatever the commit order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.nat(20), commits: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (txs, relayAt) => {
          const endAt = txs.map((t, i) => i + t.delay) // step at which tx i (seq i+1) ends
          const published: bigint[] = []
          const dropped = new Set<bigint>()
          let cursor = startCursor(0n)
          const visible = (seq: bigint, step: number) => {
            const i = Number(seq) - 1
            return i < txs.length && endAt[i]! < step && txs[i]!.commits
          }
          const runningXmin = (step: number) => {
            // oldest xid (= seq) allocated by step and not yet ended
            for (let i = 0; i < txs.length && i <= step; i++) if (endAt[i]! >= step) return BigInt(i + 1)
            return BigInt(Math.min(step, txs.length) + 1)
          }
          for (let step = 0; step < 80; step++) {
            if (!relayAt[step]) continue
            // The ceiling is the next xid to hand out (the relay's own, taken after the read); a
            // snapshot's xmax can be lower: one past the newest completed xid.
            const ceiling = BigInt(Math.min(step, txs.length - 1) + 2)
            const found: bigint[] = []
            for (const g of cursor.gaps)
              for (let s = g.from; s <= g.to; s++) if (visible(s, step)) found.push(s)
            const checked = afterGapCheck(cursor, found, runningXmin(step))
            for (const g of checked.dead) for (let s = g.from; s <= g.to; s++) dropped.add(s)
            published.push(...found)
            const seqs: bigint[] = []
            for (let s = checked.cursor.scanned + 1n; s < ceiling; s++) if (visible(s, step)) seqs.push(s)
            cursor = afterScan(checked.cursor, seqs, ceiling)
            published.push(...seqs)
          }
          expect(new Set(published).size).toBe(published.length)
          const last = relayAt.lastIndexOf(true)
          txs.forEach((t, i) => {
            if (t.commits && endAt[i]! < last) expect(published).toContain(BigInt(i + 1))
          })
          for (const s of dropped) expect(txs[Number(s) - 1]!.commits).toBe(false)
        },
      ),
    )
  })
})
