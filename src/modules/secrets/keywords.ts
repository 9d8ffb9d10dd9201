/**
 * Where the rules' keywords occur in a text, found in one pass. Calling `includes` once per
 * keyword (about sixty) read a large file sixty times and cost more than the rules themselves; this
 * pass reads it once, checking each position against a table of the keywords' first two
 * characters (case-insensitive, ASCII) before comparing the rest.
 */
const LOWER = new Uint8Array(128)
for (let c = 0; c < 128; c++) LOWER[c] = c >= 65 && c <= 90 ? c + 32 : c

export interface KeywordMatcher {
  /** Offsets of each keyword present (absent keywords are missing from the map). */
  find(text: string): Map<string, number[]>
}

export function keywordMatcher(keywords: Iterable<string>): KeywordMatcher {
  const byPair = new Map<number, string[]>()
  const pairs = new Uint8Array(128 * 128)
  for (const k of new Set(keywords)) {
    if (k.length < 2 || k !== k.toLowerCase() || [...k].some((ch) => ch.charCodeAt(0) >= 128)) {
      throw new Error(`keyword "${k}" must be lower-case ASCII of two characters or more`)
    }
    const key = k.charCodeAt(0) * 128 + k.charCodeAt(1)
    pairs[key] = 1
    byPair.set(key, [...(byPair.get(key) ?? []), k])
  }

  return {
    find(text) {
      const hits = new Map<string, number[]>()
      const n = text.length - 1
      let c1 = n >= 0 ? text.charCodeAt(0) : 0
      for (let i = 0; i < n; i++) {
        const c0 = c1
        c1 = text.charCodeAt(i + 1)
        if (c0 >= 128 || c1 >= 128) continue
        const key = LOWER[c0]! * 128 + LOWER[c1]!
        if (pairs[key] === 0) continue
        for (const k of byPair.get(key)!) {
          let j = 2
          while (j < k.length) {
            const c = text.charCodeAt(i + j)
            if (c >= 128 || LOWER[c] !== k.charCodeAt(j)) break
            j++
          }
          if (j === k.length) {
            const list = hits.get(k)
            if (list) list.push(i)
            else hits.set(k, [i])
          }
        }
      }
      return hits
    },
  }
}
