import { crc32 } from 'node:zlib'

/**
 * GitHub's token formats (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`): 30 random base62 characters then
 * 6 characters of checksum, the CRC32 of those 30 characters in base62, left-padded with zeros.
 * A string of the right shape whose checksum fails was not issued by GitHub (a look-alike).
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

export function base62(n: number): string {
  let out = ''
  let v = n
  do {
    out = BASE62[v % 62]! + out
    v = Math.floor(v / 62)
  } while (v > 0)
  return out
}

/** The 6-character checksum GitHub appends to a token's 30 random characters. */
export function githubChecksum(random30: string): string {
  return base62(crc32(random30)).padStart(6, '0')
}

/** True when `token` (with its `gh?_` prefix) carries a valid checksum. */
export function githubChecksumValid(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1)
  if (body.length !== 36) return false
  return githubChecksum(body.slice(0, 30)) === body.slice(30)
}
