import { jaroWinkler } from '../screening/index.js'
import { foldText, wordsOf, type Highlight } from './search.js'

/**
 * Final relevance, the same for every engine: each query word is scored against the document's best
 * word (1 when equal, 0.97 when it starts it, else Jaro-Winkler), averaged over the query words; an
 * exact identifier scores above any fuzzy text. Engines only decide which candidates reach this.
 */
export function wordScore(q: string, w: string): number {
  if (q === w) return 1
  if (q.length >= 2 && w.startsWith(q)) return 0.97
  return jaroWinkler(q, w)
}

export function textScore(queryWords: readonly string[], docWords: readonly string[]): number {
  if (queryWords.length === 0 || docWords.length === 0) return 0
  let sum = 0
  for (const q of queryWords) {
    let best = 0
    for (const w of docWords) {
      const s = wordScore(q, w)
      if (s > best) best = s
    }
    sum += best
  }
  return sum / queryWords.length
}

export const EXACT_KEY_SCORE = 2

/** Below this a title word is not marked as a match. */
const HIGHLIGHT_MIN = 0.88

/** The title cut into runs, words that match a query word marked (folded comparison, any script). */
export function highlight(
  title: string,
  queryWords: readonly string[],
  keys: ReadonlySet<string>,
): Highlight[] {
  const out: Highlight[] = []
  const push = (text: string, match: boolean) => {
    const last = out[out.length - 1]
    if (last && last.match === match) out[out.length - 1] = { text: last.text + text, match }
    else out.push({ text, match })
  }
  for (const part of title.split(/(\s+)/)) {
    if (!part) continue
    if (/^\s+$/.test(part)) {
      push(part, false)
      continue
    }
    const folded = wordsOf(foldText(part))
    const upper = part.toUpperCase().replace(/[^A-Z0-9]/g, '')
    const match =
      (upper.length > 0 && keys.has(upper)) ||
      folded.some((w) => queryWords.some((q) => wordScore(q, w) >= HIGHLIGHT_MIN))
    push(part, match)
  }
  return out
}
