/**
 * A seeded generator (mulberry32): the corpus is the same on every machine for a seed, and no
 * live-looking key is ever committed — each is drawn at test time.
 */
export interface Rng {
  next(): number
  int(lo: number, hiExclusive: number): number
  pick<T>(items: readonly T[]): T
  chars(alphabet: string, n: number): string
}

export const ALPHA_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const LOWER_NUM = 'abcdefghijklmnopqrstuvwxyz0123456789'
export const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
export const HEX = '0123456789abcdef'
export const BASE64 = `${ALPHA_NUM}+/`
export const BASE64URL = `${ALPHA_NUM}-_`
export const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

export function rng(seed: number): Rng {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo))
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length)]!,
    chars: (alphabet, n) => {
      let s = ''
      for (let i = 0; i < n; i++) s += alphabet[int(0, alphabet.length)]!
      return s
    },
  }
}
