import { sha256 } from './hash.js'

/**
 * RFC 6962 (§2.1) Merkle tree hashing with SHA-256:
 *   MTH({})   = SHA-256()
 *   leaf hash = SHA-256(0x00 ‖ entry)
 *   node hash = SHA-256(0x01 ‖ left ‖ right)
 * Sizes and indexes are plain numbers (exact up to 2^53); no 32-bit bit operations are used.
 */
export const HASH_BYTES = 32

export const EMPTY_ROOT: Buffer = sha256(Buffer.alloc(0))

/** SHA-256(0x00 ‖ entry); a string entry is hashed as its UTF-8 bytes. */
export function leafHash(entry: Uint8Array | string): Buffer {
  return typeof entry === 'string' ? sha256(`\u0000${entry}`) : sha256(Buffer.concat([LEAF_PREFIX, entry]))
}

const LEAF_PREFIX = Buffer.from([0x00])
const node = Buffer.alloc(1 + 2 * HASH_BYTES)
node[0] = 0x01

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== HASH_BYTES || right.length !== HASH_BYTES) {
    return sha256(Buffer.concat([node.subarray(0, 1), left, right]))
  }
  node.set(left, 1)
  node.set(right, 1 + HASH_BYTES)
  return sha256(node)
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const isOdd = (x: number): boolean => x % 2 === 1
const half = (x: number): number => Math.floor(x / 2)

/**
 * Compact range ("frontier"): the roots of the perfect subtrees covering leaves [0, size), largest
 * first. Appending is O(log n) amortised; the root folds them right to left.
 */
export class Frontier {
  size: number
  readonly nodes: Buffer[]

  constructor(size = 0, nodes: Buffer[] = []) {
    this.size = size
    this.nodes = nodes
  }

  static decode(size: number, bytes: Uint8Array): Frontier {
    const nodes: Buffer[] = []
    for (let i = 0; i + HASH_BYTES <= bytes.length; i += HASH_BYTES)
      nodes.push(Buffer.from(bytes.subarray(i, i + HASH_BYTES)))
    let bits = 0
    for (let s = size; s > 0; s = half(s)) if (isOdd(s)) bits++
    if (bits !== nodes.length)
      throw new Error(`frontier of size ${size} needs ${bits} nodes, has ${nodes.length}`)
    return new Frontier(size, nodes)
  }

  encode(): Buffer {
    return Buffer.concat(this.nodes)
  }

  append(leaf: Buffer): void {
    this.nodes.push(leaf)
    this.size++
    for (let s = this.size; !isOdd(s); s = half(s)) {
      const right = this.nodes.pop()!
      const left = this.nodes.pop()!
      this.nodes.push(nodeHash(left, right))
    }
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT
    let acc = this.nodes[this.nodes.length - 1]!
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i]!, acc)
    return acc
  }

  clone(): Frontier {
    return new Frontier(this.size, [...this.nodes])
  }
}

/** MTH over leaf hashes [lo, hi). */
export function subtreeRoot(leaves: readonly Buffer[], lo = 0, hi = leaves.length): Buffer {
  const n = hi - lo
  if (n === 0) return EMPTY_ROOT
  if (n === 1) return leaves[lo]!
  const k = splitPoint(n)
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi))
}

/** RFC 6962 §2.1.1 PATH(m, D[n]) over the first `size` leaf hashes. */
export function inclusionProof(leaves: readonly Buffer[], index: number, size = leaves.length): Buffer[] {
  if (!(index >= 0 && index < size && size <= leaves.length)) throw new RangeError('index outside the tree')
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo
    if (n === 1) return []
    const k = splitPoint(n)
    return m < k
      ? [...path(m, lo, lo + k), subtreeRoot(leaves, lo + k, hi)]
      : [...path(m - k, lo + k, hi), subtreeRoot(leaves, lo, lo + k)]
  }
  return path(index, 0, size)
}

/** RFC 6962 §2.1.2 PROOF(m, D[n]): proves the tree of size m is a prefix of the tree of size n. */
export function consistencyProof(leaves: readonly Buffer[], m: number, n = leaves.length): Buffer[] {
  if (!(m >= 0 && m <= n && n <= leaves.length)) throw new RangeError('sizes outside the tree')
  if (m === 0 || m === n) return []
  const sub = (mm: number, lo: number, hi: number, complete: boolean): Buffer[] => {
    const size = hi - lo
    if (mm === size) return complete ? [] : [subtreeRoot(leaves, lo, hi)]
    const k = splitPoint(size)
    return mm <= k
      ? [...sub(mm, lo, lo + k, complete), subtreeRoot(leaves, lo + k, hi)]
      : [...sub(mm - k, lo + k, hi, false), subtreeRoot(leaves, lo, lo + k)]
  }
  return sub(m, 0, n, true)
}

/** RFC 9162 §2.1.3.2 inclusion verification. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!(index >= 0 && index < size)) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r)
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && r.equals(root)
}

/** RFC 9162 §2.1.4.2 consistency verification. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (first < 0 || first > second) return false
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot)
  if (first === 0) return proof.length === 0
  if (proof.length === 0) return false
  const path = [...proof]
  let pow2 = 1
  while (pow2 < first) pow2 *= 2
  if (pow2 === first) path.unshift(firstRoot)
  let fn = first - 1
  let sn = second - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn)
          sn = half(sn)
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0
}
