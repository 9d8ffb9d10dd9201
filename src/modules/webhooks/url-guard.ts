import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { urlInsecure, urlInvalid, urlPrivate } from './webhooks.errors.js'

/**
 * SSRF guard: which endpoint urls are accepted, and a DNS lookup for the HTTP client that refuses
 * private and reserved addresses at connection time (so a name that later resolves to 10.0.0.1 —
 * DNS rebinding — is refused too, not only at registration).
 */
export interface UrlPolicy {
  /** Plain http to any host (default: only localhost / 127.0.0.1 / [::1]). */
  readonly allowHttp: boolean
  /** Private, loopback, link-local and reserved addresses (default: true outside production). */
  readonly allowPrivate: boolean
}

const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6')

/** Private, loopback, link-local, multicast or documentation address (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4')
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) return blocked.check(address, 'ipv6')
  return true
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
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
  if (url.protocol === 'http:' && !policy.allowHttp && !LOCAL_HOSTS.has(url.hostname)) throw urlInsecure()
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
