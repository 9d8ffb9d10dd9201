/**
 * String similarity primitives. Written for speed on short tokens: no allocations beyond two
 * small typed arrays per call.
 */

let flagsA = new Uint8Array(64)
let flagsB = new Uint8Array(64)

/** Jaro similarity in [0, 1]. */
export function jaro(a: string, b: string): number {
  if (a === b) return a.length === 0 ? 1 : 1
  const la = a.length
  const lb = b.length
  if (la === 0 || lb === 0) return 0
  if (flagsA.length < la) flagsA = new Uint8Array(la * 2)
  if (flagsB.length < lb) flagsB = new Uint8Array(lb * 2)
  flagsA.fill(0, 0, la)
  flagsB.fill(0, 0, lb)
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1)
  let matches = 0
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - window)
    const hi = Math.min(lb - 1, i + window)
    const c = a.charCodeAt(i)
    for (let j = lo; j <= hi; j++) {
      if (flagsB[j] === 0 && b.charCodeAt(j) === c) {
        flagsA[i] = 1
        flagsB[j] = 1
        matches++
        break
      }
    }
  }
  if (matches === 0) return 0
  let t = 0
  let k = 0
  for (let i = 0; i < la; i++) {
    if (flagsA[i] === 0) continue
    while (flagsB[k] === 0) k++
    if (a.charCodeAt(i) !== b.charCodeAt(k)) t++
    k++
  }
  const m = matches
  return (m / la + m / lb + (m - t / 2) / m) / 3
}

/** Jaro-Winkler with the usual prefix scale 0.1 over at most 4 characters. */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b)
  if (j === 1) return 1
  let p = 0
  const max = Math.min(4, a.length, b.length)
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++
  return j + p * 0.1 * (1 - j)
}

let row0 = new Int32Array(64)
let row1 = new Int32Array(64)
let row2 = new Int32Array(64)

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  const la = a.length
  const lb = b.length
  if (la === 0) return lb
  if (lb === 0) return la
  if (row0.length <= lb) {
    row0 = new Int32Array(lb * 2 + 2)
    row1 = new Int32Array(lb * 2 + 2)
    row2 = new Int32Array(lb * 2 + 2)
  }
  let prev2 = row0
  let prev = row1
  let cur = row2
  for (let j = 0; j <= lb; j++) prev[j] = j
  for (let i = 1; i <= la; i++) {
    cur[0] = i
    const ca = a.charCodeAt(i - 1)
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1)
      const cost = ca === cb ? 0 : 1
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb)
        v = Math.min(v, prev2[j - 2]! + 1)
      cur[j] = v
    }
    const t = prev2
    prev2 = prev
    prev = cur
    cur = t
  }
  return prev[lb]!
}

/** 1 − distance / longer length. */
export function editSimilarity(a: string, b: string): number {
  const n = Math.max(a.length, b.length)
  return n === 0 ? 1 : 1 - editDistance(a, b) / n
}

/**
 * A phonetic key tuned for transliterated names (Arabic, Persian, Russian, Korean romanisations):
 * digraphs folded (kh→h, ph→f, sh/sch/ch/zh→s…), c/k/q/g merged, d/t and z/s merged, vowels and
 * h dropped after the first letter (an initial vowel becomes "a"), doubles collapsed. One pass.
 */
export function phoneticKey(token: string): string {
  let out = ''
  let last = ''
  const n = token.length
  for (let i = 0; i < n; i++) {
    const c = token[i]!
    const next = token[i + 1]
    let k: string
    switch (c) {
      case 's':
        if (next === 'c' && token[i + 2] === 'h') i += 2
        else if (next === 'h') i++
        k = 's'
        break
      case 'c':
        if (next === 'h') {
          i++
          k = 's'
        } else k = next === 'k' ? (i++, 'k') : 'k'
        break
      case 'z':
        if (next === 'h') i++
        k = 's'
        break
      case 'p':
        if (next === 'h') {
          i++
          k = 'f'
        } else k = 'p'
        break
      case 'k':
      case 'g':
        if (next === 'h') {
          i++
          k = c === 'k' ? 'h' : 'k'
        } else k = 'k'
        break
      case 't':
      case 'd':
        if (next === 'h') i++
        k = 't'
        break
      case 'q':
        k = 'k'
        break
      case 'x':
        k = 'ks'
        break
      case 'w':
        k = 'v'
        break
      case 'j':
        k = 'y'
        break
      default:
        k = c
    }
    if (out.length === 0) {
      out = 'aeiouy'.includes(k) ? 'a' : k
      last = out
      continue
    }
    if (k === 'a' || k === 'e' || k === 'i' || k === 'o' || k === 'u' || k === 'y' || k === 'h') continue
    if (k === last) continue
    out += k
    last = k
  }
  return out
}

/**
 * Consonant skeleton, for abjad-transliterated tokens ("mhmd" ≈ "muhammad"): vowels and the
 * letters that double as long vowels (w, y) go, h stays (Latin spellings keep it), doubles collapse.
 */
export function skeleton(token: string): string {
  let out = ''
  for (const ch of token) {
    if (ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u' || ch === 'w' || ch === 'y')
      continue
    if (out[out.length - 1] !== ch) out += ch
  }
  return out
}

const VOWELS = 'aeiou'

/**
 * The shape of a transliterated name: its consonants in order, with "." where a vowel (or a run
 * of vowels) stands. Transliterations of one name (Arabic, Persian, Turkic, Slavic into Latin)
 * disagree about which vowel to write, whether to double a consonant, and how to spell a few
 * sounds, but rarely about the consonants or where the vowels go: "muhammad", "mohammed",
 * "mohamed" → "m.h.m.d"; "yusuf", "youssef" → "y.s.f"; "hussein", "husayn" → "h.s.yn" while
 * "hasan" → "h.s.n" and "mahmud" → "m.hm.d" stay apart. Folded: ph→f, q/ck/c→k (c before a
 * vowel other than e/i), x→ks, dj→j, ch/sh/sch→S, kh→H, th→t, d/t at the end → d; a final silent
 * e; h after a vowel at the end; "y" after a consonant is a vowel, "i"/"y" after a vowel and
 * before a consonant or at the end is the consonant y (ai/ay/ei/ey → "ay").
 */
export function vowelShape(token: string): string {
  let s = token
    .replace(/x/g, 'ks')
    .replace(/sch|sh|ch/g, 'S')
    .replace(/kh/g, 'H')
    .replace(/ph/g, 'f')
    .replace(/th/g, 't')
    .replace(/dj/g, 'j')
    .replace(/ck|q/g, 'k')
    .replace(/c(?=[aou]|[^aeiouy]|$)/g, 'k')
    .replace(/iy$/, 'i')
  if (s.length >= 5 && s.endsWith('e') && !VOWELS.includes(s[s.length - 2]!)) s = s.slice(0, -1)
  if (s.length >= 4 && s.endsWith('h') && VOWELS.includes(s[s.length - 2]!)) s = s.slice(0, -1)
  let out = ''
  let prevVowel = false
  for (let i = 0; i < s.length; i++) {
    let c = s[i]!
    if (c === 't' && i === s.length - 1) c = 'd'
    const next = s[i + 1]
    let vowel = VOWELS.includes(c)
    if (c === 'y') vowel = i > 0 && !prevVowel
    else if (c === 'i' && prevVowel && (next === undefined || !VOWELS.includes(next))) {
      c = 'y'
      vowel = false
    }
    if (vowel) {
      if (!prevVowel) out += '.'
    } else {
      const ch = c === 'i' ? 'y' : c
      if (out[out.length - 1] !== ch) out += ch
    }
    prevVowel = vowel
  }
  return out
}

/** Two tokens are spellings of one name by their shapes (vowelShape): the same shape, at least
 *  four letters each, and three consonants or the same first letter (a skeleton of two consonants
 *  alone is too common: "amin" / "iman"). */
export function sameShape(a: string, aShape: string, b: string, bShape: string): boolean {
  if (aShape !== bShape || a.length < 4 || b.length < 4) return false
  let consonants = 0
  for (let i = 0; i < aShape.length; i++) if (aShape[i] !== '.') consonants++
  return consonants >= 3 || (consonants === 2 && a[0] === b[0])
}
