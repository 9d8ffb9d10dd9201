/**
 * The relay's position in the outbox, kept without touching the rows it relays (ADR 0101).
 *
 * Sequence values are handed out before commit, so a row with a lower seq can become visible after
 * one with a higher seq. The relay reads forward by seq and remembers every missing value below the
 * highest seq it has seen (a "gap") together with an xid ceiling: an xid handed out after the read
 * (the relay's own, `pg_current_xact_id()`). Every outbox row gets its transaction id before its seq
 * (the column default `event_outbox_next_seq()` calls `pg_current_xact_id()` first), so the
 * transaction that holds a gap's seq has an xid below that ceiling. Once a later snapshot's xmin has
 * passed the ceiling, the transaction has ended: if the row is still not visible, it rolled back and
 * the gap is dead. A gap is therefore relayed when it commits, or dropped only when it can never
 * commit — never skipped while it still might.
 *
 * The ceiling is not the reading snapshot's xmax: that is one past the newest *completed* xid, and a
 * transaction still open may hold an xid at or above it (`pg_current_snapshot()` reads 7717:7717:
 * while 7717 is in progress). With xmax, such a holder's gap was dropped before it committed.
 */
export interface Gap {
  readonly from: bigint
  readonly to: bigint
  /** An xid handed out after these seqs were first missed: above every holder's xid. */
  readonly xidCeiling: bigint
}

export interface RelayCursor {
  /** Every seq ≤ watermark is relayed or known dead: the persisted restart point. */
  readonly watermark: bigint
  /** Highest seq read so far. */
  readonly scanned: bigint
  /** Missing seq ranges below `scanned`, ascending and disjoint (ranges: a rolled-back bulk insert
   *  leaves millions of values unused, and they must not cost a map entry each). */
  readonly gaps: readonly Gap[]
}

export const startCursor = (watermark: bigint): RelayCursor => ({ watermark, scanned: watermark, gaps: [] })

/** Whether reading `seqs` (ascending, all > cursor.scanned) leaves a seq missing: a new gap. */
export function opensGap(cursor: RelayCursor, seqs: readonly bigint[]): boolean {
  return seqs.length > 0 && seqs[seqs.length - 1]! - cursor.scanned !== BigInt(seqs.length)
}

/**
 * After reading `seqs` (ascending, all > cursor.scanned); `xidCeiling` is an xid handed out after
 * the read (needed only when opensGap).
 */
export function afterScan(cursor: RelayCursor, seqs: readonly bigint[], xidCeiling: bigint): RelayCursor {
  if (seqs.length === 0) return cursor
  const gaps = [...cursor.gaps]
  let expected = cursor.scanned + 1n
  for (const seq of seqs) {
    if (seq > expected) gaps.push({ from: expected, to: seq - 1n, xidCeiling })
    expected = seq + 1n
  }
  const scanned = seqs[seqs.length - 1]!
  return { scanned, gaps, watermark: watermarkOf(scanned, gaps) }
}

/**
 * After looking the gaps up again (`found`: the seqs now visible, relayed in this round) in a
 * snapshot with xmin `snapXmin`. Returns the ranges that can never fill (their transactions ended).
 */
export function afterGapCheck(
  cursor: RelayCursor,
  found: readonly bigint[],
  snapXmin: bigint,
  /** Gaps that were looked up; the others are kept as they are (default: all were). */
  checked: (gap: Gap) => boolean = () => true,
): { cursor: RelayCursor; dead: readonly Gap[] } {
  const sorted = [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const gaps: Gap[] = []
  const dead: Gap[] = []
  for (const gap of cursor.gaps) {
    if (!checked(gap)) {
      gaps.push(gap)
      continue
    }
    const rest: Gap[] = []
    let from = gap.from
    for (const seq of sorted) {
      if (seq < from || seq > gap.to) continue
      if (seq > from) rest.push({ from, to: seq - 1n, xidCeiling: gap.xidCeiling })
      from = seq + 1n
    }
    if (from <= gap.to) rest.push({ from, to: gap.to, xidCeiling: gap.xidCeiling })
    if (snapXmin >= gap.xidCeiling) dead.push(...rest)
    else gaps.push(...rest)
  }
  return { cursor: { scanned: cursor.scanned, gaps, watermark: watermarkOf(cursor.scanned, gaps) }, dead }
}

/**
 * The gaps worth looking up this round: small ones every round (their rows are relayed as soon as
 * they commit), a wide one (a new cursor's opening range, a rolled-back bulk insert) only once its
 * transactions have all ended — then one lookup settles it, instead of a wide scan every round
 * while a long transaction holds the snapshot xmin back. At most `limit` gaps per round.
 */
export function gapsToCheck(cursor: RelayCursor, lastXmin: bigint, wide: bigint, limit: number): Gap[] {
  const due: Gap[] = []
  for (const g of cursor.gaps) {
    if (due.length >= limit) break
    if (g.to - g.from < wide || lastXmin >= g.xidCeiling) due.push(g)
  }
  return due
}

function watermarkOf(scanned: bigint, gaps: readonly Gap[]): bigint {
  return gaps.length === 0 ? scanned : gaps[0]!.from - 1n
}
