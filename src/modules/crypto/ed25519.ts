import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

// RFC 8410 DER prefixes: PKCS#8 private key and SPKI public key for OID 1.3.101.112 (Ed25519).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** An Ed25519 key pair from a 32-byte RFC 8032 secret (seed). */
export function ed25519FromSeed(seed: Buffer): {
  privateKey: KeyObject
  publicKey: KeyObject
  publicKeyRaw: Buffer
} {
  if (seed.length !== 32) throw new Error('Ed25519 seeds are 32 bytes')
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  })
  const publicKey = createPublicKey(privateKey)
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return { privateKey, publicKey, publicKeyRaw: Buffer.from(der.subarray(der.length - 32)) }
}

/** An Ed25519 public key from its raw 32 bytes. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error('Ed25519 public keys are 32 bytes')
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
}
