/**
 * The tuning / held-out split of every screening evaluation set, fixed before any tuning
 * (docs/screening.md, "Evaluation split"). A record belongs to the tuning part when
 * FNV-1a-32("moneta-screening-split-v1|" + set + "|" + key) mod 100 < 30, else to the held-out
 * part (about 30 % / 70 %). The key groups records that must not straddle the split:
 *
 * - yente positives: the untreated full name (its treated twin, same row number, goes with it);
 * - yente negatives: full name + "|" + date of birth;
 * - nomenklatura pairs: name2 (the reference name most rows of one case share);
 * - OFAC tool rows: the query name;
 * - Watchman cross-script pairs: the expected Latin name;
 * - synthetic kinds (bench/screening/kinds.ts): the list entry (or generated person) they come from.
 *
 * Changing the salt or the share re-draws the split: never do it after looking at held-out results.
 */
export type Part = 'tuning' | 'heldout'

export const SPLIT_SALT = 'moneta-screening-split-v1'
export const TUNING_PERCENT = 30

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

export function partOf(set: string, key: string): Part {
  return fnv1a32(`${SPLIT_SALT}|${set}|${key.trim().toLowerCase()}`) % 100 < TUNING_PERCENT
    ? 'tuning'
    : 'heldout'
}
