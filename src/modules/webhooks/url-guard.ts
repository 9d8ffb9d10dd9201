import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { urlInsecure, urlInvalid, urlPrivate } from './webhooks.errors.js'

/**
 * SSRF guard: which endpoint urls are accepted, and a DNS lookup for the HTTP client that refuses
 * private and reserved addresses at connection time (so a name that later resolves to 10.0.0.1 —
 * DNS rebinding — is refused too, not only at registration).
 */
export interface UrlPolicy {
  /** Plain http (default false: https only, localhost included — MONETA_WEBHOOKS_ALLOW_HTTP). */
  readonly allowHttp: boolean
  /** Private, loopback, link-local and reserved addresses (default false — MONETA_WEBHOOKS_ALLOW_PRIVATE). */
  readonly allowPrivate: boolean
}

// Two lists: node's BlockList also checks an IPv4 address against IPv6 rules in its ::ffff: form,
// so the IPv4-mapped rule below would otherwise block every IPv4 address.
const blocked = new BlockList()
const blocked6 = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4')
// IPv6 ranges that are not global unicast or that embed an IPv4 address a router may forward to
// (IPv4-compatible, IPv4-mapped, NAT64, 6to4, Teredo): an embedded 127.0.0.1 must not get through.
for (const [net, bits] of [
  ['::', 96], // unspecified, loopback and IPv4-compatible (::a.b.c.d)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, Teredo (2001::/32) included
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation
  ['5f00::', 16], // SRv6 SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8], // multicast
] as const)
  blocked6.addSubnet(net, bits, 'ipv6')

/**
 * Private, loopback, link-local, multicast, documentation or reserved address. Every IPv6 form that
 * embeds an IPv4 address (mapped, compatible, 6to4, Teredo, NAT64) counts, whatever it embeds: a
 * webhook endpoint has no reason to use one.
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) return blocked6.check(address, 'ipv6')
  return true
}

export const MAX_URL_LENGTH = 2048

/** Parses and checks an endpoint url's shape (scheme, host, no fragment). Throws WEBHOOK_URL_*. */
export function checkUrlShape(raw: string, policy: UrlPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) throw urlInvalid(`longer than ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw urlInvalid('not an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw urlInvalid('use https://')
  if (!url.hostname) throw urlInvalid('no host')
  if (url.hash) throw urlInvalid('a #fragment is never sent; remove it')
  if (url.protocol === 'http:' && !policy.allowHttp) throw urlInsecure()
  return url
}

const bareHost = (hostname: string): string => hostname.replace(/^\[|\]$/g, '')

/** Resolves the host now and refuses private answers (unless allowed). An unresolvable name passes:
 *  it may exist later, and the connection-time lookup guards every attempt anyway. */
export async function checkUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = checkUrlShape(raw, policy)
  if (policy.allowPrivate) return url
  const host = bareHost(url.hostname)
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw urlPrivate(host, host)
    return url
  }
  const addresses = await new Promise<LookupAddress[]>((resolve) =>
    dnsLookup(host, { all: true }, (err, list) => resolve(err ? [] : list)),
  )
  const bad = addresses.find((a) => isPrivateAddress(a.address))
  if (bad) throw urlPrivate(host, bad.address)
  return url
}

/** A `lookup` for node:http agents that fails the connection when any answer is private. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, list) => {
    if (err) return callback(err, [])
    const bad = list.find((a) => isPrivateAddress(a.address))
    if (bad) {
      const e: NodeJS.ErrnoException = new Error(`${hostname} resolves to private address ${bad.address}`)
      e.code = 'WEBHOOK_PRIVATE_ADDRESS'
      return callback(e, [])
    }
    if (options.all) return callback(null, list)
    const first = list[0]
    if (!first)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), [])
    callback(null, first.address, first.family)
  })
}
