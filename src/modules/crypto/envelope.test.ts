import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../../shared/errors.js'
import {
  blindIndex,
  deriveDataKey,
  encodeContext,
  HEADER_BYTES,
  keyIdOf,
  open,
  seal,
  TAG_BYTES,
} from './envelope.js'

const hex = (s: string): Buffer => Buffer.from(s, 'hex')

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B, test cases 13–16 (AES-256).
const K15 = 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308'
const P15 =
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255'
const C15 =
  '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad'
const GCM_VECTORS = [
  {
    name: 'TC13',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    aad: '',
    pt: '',
    ct: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b',
  },
  {
    name: 'TC14',
    key: '00'.repeat(32),
    iv: '00'.repeat(12),
    aad: '',
    pt: '00'.repeat(16),
    ct: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919',
  },
  {
    name: 'TC15',
    key: K15,
    iv: 'cafebabefacedbaddecaf888',
    aad: '',
    pt: P15,
    ct: C15,
    tag: 'b094dac5d93471bdec1a502270e3cc6c',
  },
  {
    name: 'TC16',
    key: K15,
    iv: 'cafebabefacedbaddecaf888',
    aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    pt: P15.slice(0, 120),
    ct: C15.slice(0, 120),
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
]

describe('AES-256-GCM as configured (published vectors)', () => {
  for (const v of GCM_VECTORS) {
    it(`${v.name} encrypts and decrypts`, () => {
      const c = createCipheriv('aes-256-gcm', hex(v.key), hex(v.iv), { authTagLength: 16 })
      c.setAAD(hex(v.aad))
      const ct = Buffer.concat([c.update(hex(v.pt)), c.final()])
      expect(ct.toString('hex')).toBe(v.ct)
      expect(c.getAuthTag().toString('hex')).toBe(v.tag)
      const d = createDecipheriv('aes-256-gcm', hex(v.key), hex(v.iv), { authTagLength: 16 })
      d.setAAD(hex(v.aad))
      d.setAuthTag(hex(v.tag))
      expect(Buffer.concat([d.update(hex(v.ct)), d.final()]).toString('hex')).toBe(v.pt)
    })
  }
  it('refuses a truncated tag even when it is a prefix of the right one', () => {
    const v = GCM_VECTORS[3]!
    const d = createDecipheriv('aes-256-gcm', hex(v.key), hex(v.iv), { authTagLength: 16 })
    expect(() => d.setAuthTag(hex(v.tag).subarray(0, 12))).toThrow()
  })
})

describe('field ciphertext format', () => {
  const key = deriveDataKey(7, randomBytes(32))
  const ctx = { table: 'customers', column: 'name', row: 'cus_1' }
  const aad = encodeContext('ten_a', ctx)
  const code = (f: () => unknown): string | undefined => {
    try {
      f()
    } catch (e) {
      return isAppError(e) ? e.code : `non-app:${String(e)}`
    }
    return undefined
  }

  it('puts version and key id up front and round-trips', () => {
    const ct = seal(key, aad, Buffer.from('Ada Lovelace'))
    expect(ct[0]).toBe(1)
    expect(ct.readUInt32BE(1)).toBe(7)
    expect(keyIdOf(ct)).toBe(7)
    expect(ct.length).toBe(HEADER_BYTES + 12 + TAG_BYTES)
    expect(open(key, aad, ct).toString()).toBe('Ada Lovelace')
  })

  it('uses a fresh nonce each time', () => {
    const a = seal(key, aad, Buffer.from('x'))
    const b = seal(key, aad, Buffer.from('x'))
    expect(a.subarray(5, 17).equals(b.subarray(5, 17))).toBe(false)
  })

  it('fails for another tenant, table, column or row', () => {
    const ct = seal(key, aad, Buffer.from('secret'))
    for (const [t, c] of [
      ['ten_b', ctx],
      ['ten_a', { ...ctx, table: 'merchants' }],
      ['ten_a', { ...ctx, column: 'address' }],
      ['ten_a', { ...ctx, row: 'cus_2' }],
    ] as const) {
      expect(code(() => open(key, encodeContext(t, c), ct))).toBe('CRYPTO_INTEGRITY')
    }
  })

  it('rejects truncated tags and any flipped bit', () => {
    const ct = seal(key, aad, Buffer.from('secret value'))
    for (let cut = 1; cut <= TAG_BYTES; cut++) {
      expect(code(() => open(key, aad, ct.subarray(0, ct.length - cut)))).toMatch(
        /CRYPTO_(INTEGRITY|MALFORMED_CIPHERTEXT)/,
      )
    }
    for (let i = 0; i < ct.length; i++) {
      if (i >= 1 && i < 5) continue // key id bytes: a different key would be looked up instead
      const bad = Buffer.from(ct)
      bad[i]! ^= 0x01
      expect(code(() => open(key, aad, bad))).toMatch(/CRYPTO_(INTEGRITY|MALFORMED_CIPHERTEXT)/)
    }
  })

  it('commits to the key: a value labelled with another key id does not open under that key', () => {
    const other = deriveDataKey(8, randomBytes(32))
    const ct = seal(key, aad, Buffer.from('secret'))
    const relabelled = Buffer.from(ct)
    relabelled.writeUInt32BE(8, 1)
    expect(code(() => open(other, aad, relabelled))).toBe('CRYPTO_INTEGRITY')
  })

  it('round-trips any plaintext and context, and any other context fails (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string(),
        (pt, tenant, table, column, row) => {
          const c = { table, column, row }
          const ct = seal(key, encodeContext(tenant, c), Buffer.from(pt))
          expect(open(key, encodeContext(tenant, c), ct).equals(Buffer.from(pt))).toBe(true)
          expect(code(() => open(key, encodeContext(tenant, { ...c, row: `${row}x` }), ct))).toBe(
            'CRYPTO_INTEGRITY',
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it('encodes contexts unambiguously', () => {
    expect(
      encodeContext('a|b', { table: 't', column: 'c', row: 'r' }).equals(
        encodeContext('a', { table: 'b|t', column: 'c', row: 'r' }),
      ),
    ).toBe(false)
  })
})

describe('blind index', () => {
  const k = randomBytes(32)
  it('is deterministic, truncated to the planned width, and separated by tenant and column', () => {
    const a = blindIndex(k, 'ten_a', 'customers', 'email', 'ada@example.com', 8)
    expect(a.length).toBe(8)
    expect(blindIndex(k, 'ten_a', 'customers', 'email', 'ada@example.com', 8).equals(a)).toBe(true)
    expect(blindIndex(k, 'ten_b', 'customers', 'email', 'ada@example.com', 8).equals(a)).toBe(false)
    expect(blindIndex(k, 'ten_a', 'customers', 'phone', 'ada@example.com', 8).equals(a)).toBe(false)
    expect(blindIndex(randomBytes(32), 'ten_a', 'customers', 'email', 'ada@example.com', 8).equals(a)).toBe(
      false,
    )
    expect(blindIndex(k, 'ten_a', 'customers', 'email', 'ada@example.com', 16).subarray(0, 8).equals(a)).toBe(
      true,
    )
  })
})
