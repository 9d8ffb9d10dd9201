import { describe, expect, it } from 'vitest'
import { PromiseCache } from './promise-cache.js'

describe('PromiseCache', () => {
  it('starts the work once per key and shares it', async () => {
    const cache = new PromiseCache<string, number>()
    let made = 0
    const make = () => Promise.resolve(++made)
    const [a, b] = await Promise.all([cache.getOrStart('t1', make), cache.getOrStart('t1', make)])
    expect([a, b, made]).toEqual([1, 1, 1])
    expect(await cache.getOrStart('t2', make)).toBe(2)
  })

  it('forgets a failure, so that the next use starts again', async () => {
    const cache = new PromiseCache<string, number>()
    await expect(cache.getOrStart('t', () => Promise.reject(new Error('down')))).rejects.toThrow('down')
    await new Promise((r) => setImmediate(r))
    expect(cache.peek('t')).toBeUndefined()
    expect(await cache.getOrStart('t', () => Promise.resolve(7))).toBe(7)
  })

  it('keeps a successor set while the failed one was pending', async () => {
    const cache = new PromiseCache<string, number>()
    let fail: (e: Error) => void = () => undefined
    const failing = cache.getOrStart('t', () => new Promise<number>((_, reject) => (fail = reject)))
    cache.set('t', Promise.resolve(9))
    fail(new Error('late'))
    await expect(failing).rejects.toThrow('late')
    expect(await cache.peek('t')).toBe(9)
  })
})
