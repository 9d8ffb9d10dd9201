import { sign, verify } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ed25519FromSeed, ed25519PublicKey } from '../crypto/index.js'
import {
  consistencyProof,
  EMPTY_ROOT,
  Frontier,
  inclusionProof,
  leafHash,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'

const hx = (s: string): Buffer => Buffer.from(s, 'hex')
const hexes = (b: readonly Buffer[]): string[] => b.map((x) => x.toString('hex'))

// The Certificate Transparency reference test data (RFC 6962 hashing).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hx)
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

describe('RFC 6962 Merkle tree (CT reference vectors)', () => {
  const hashes = LEAVES.map(leafHash)

  it('hashes the empty tree to SHA-256 of nothing', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0])
    expect(new Frontier().root().toString('hex')).toBe(ROOTS[0])
  })

  it('hashes leaf 0x00 with the 0x00 prefix', () => {
    expect(leafHash(hx('00')).toString('hex')).toBe(
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    )
  })

  it('reproduces the roots of trees of size 1..8, incrementally and recursively', () => {
    const f = new Frontier()
    for (let n = 1; n <= 8; n++) {
      f.append(hashes[n - 1]!)
      expect(f.root().toString('hex')).toBe(ROOTS[n])
      expect(subtreeRoot(hashes, 0, n).toString('hex')).toBe(ROOTS[n])
      // The frontier survives a round trip through its stored form.
      expect(Frontier.decode(f.size, f.encode()).root().toString('hex')).toBe(ROOTS[n])
    }
  })

  it('produces the published inclusion path PATH(0, D[8])', () => {
    expect(hexes(inclusionProof(hashes, 0, 8))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ])
  })

  it('produces the published consistency proofs (1, 8) and (6, 8)', () => {
    expect(hexes(consistencyProof(hashes, 1, 8))).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ])
    expect(hexes(consistencyProof(hashes, 6, 8))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ])
  })

  it('verifies every inclusion and consistency proof of trees up to 33 leaves, and rejects altered ones', () => {
    const leaves = Array.from({ length: 33 }, (_, i) => leafHash(Buffer.from([i])))
    for (let n = 1; n <= 33; n++) {
      const root = subtreeRoot(leaves, 0, n)
      for (let i = 0; i < n; i++) {
        const p = inclusionProof(leaves, i, n)
        expect(verifyInclusion(i, n, leaves[i]!, p, root)).toBe(true)
        expect(verifyInclusion(i, n, leaves[(i + 1) % 33]!, p, root)).toBe(false)
        if (p.length > 0) expect(verifyInclusion(i, n, leaves[i]!, p.slice(1), root)).toBe(false)
      }
      for (let m = 0; m <= n; m++) {
        const p = consistencyProof(leaves, m, n)
        const mRoot = subtreeRoot(leaves, 0, m)
        expect(verifyConsistency(m, n, mRoot, root, p)).toBe(true)
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, leafHash(Buffer.from('x')), root, p)).toBe(false)
          expect(verifyConsistency(m, n, mRoot, root, p.slice(0, -1))).toBe(false)
        }
      }
    }
  })

  it('property: a proof only verifies for the leaf and root it was made for', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`e${i}`)))
        const i = a % n
        const root = subtreeRoot(leaves)
        const p = inclusionProof(leaves, i)
        expect(verifyInclusion(i, n, leaves[i]!, p, root)).toBe(true)
        const j = b % n
        if (j !== i) expect(verifyInclusion(j, n, leaves[i]!, p, root)).toBe(false)
      }),
      { numRuns: 60 },
    )
  })
})

describe('Ed25519 as used for checkpoints (RFC 8032 §7.1 vectors)', () => {
  const VECTORS = [
    {
      secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      msg: '',
      sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      msg: '72',
      sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
  ]
  for (const [i, v] of VECTORS.entries()) {
    it(`TEST ${i + 1}: derives the public key, signs and verifies exactly as published`, () => {
      const k = ed25519FromSeed(hx(v.secret))
      expect(k.publicKeyRaw.toString('hex')).toBe(v.pub)
      expect(sign(null, hx(v.msg), k.privateKey).toString('hex')).toBe(v.sig)
      const pub = ed25519PublicKey(hx(v.pub))
      expect(verify(null, hx(v.msg), pub, hx(v.sig))).toBe(true)
      const bad = hx(v.sig)
      bad[0]! ^= 1
      expect(verify(null, hx(v.msg), pub, bad)).toBe(false)
    })
  }
})

describe('fast hashing helpers', () => {
  it('HMAC-SHA256 over node:crypto hash() equals createHmac, for short and long keys', async () => {
    const { createHmac, randomBytes } = await import('node:crypto')
    const { hmacSha256Factory } = await import('./hash.js')
    for (const keyLen of [0, 16, 32, 64, 65, 200]) {
      const key = randomBytes(keyLen)
      const msg = randomBytes(77)
      expect(
        hmacSha256Factory(key)(['pre|', msg]).equals(
          createHmac('sha256', key).update('pre|').update(msg).digest(),
        ),
      ).toBe(true)
    }
  })
  it('hashes a string entry as its UTF-8 bytes', () => {
    const s = '{"x":"é😀"}'
    expect(leafHash(s).equals(leafHash(Buffer.from(s, 'utf8')))).toBe(true)
  })
})
