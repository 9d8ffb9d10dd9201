/**
 * Work per key (a tenant's engine, its model scorer) started on first use and shared by every caller
 * while it runs and after; a failed one is forgotten, so that the next use starts it again instead
 * of every later caller getting the same old error.
 */
export class PromiseCache<K, V> {
  private readonly entries = new Map<K, Promise<V>>()

  /** The cached promise, or `make()`'s, cached. */
  getOrStart(key: K, make: () => Promise<V>): Promise<V> {
    let p = this.entries.get(key)
    if (!p) {
      p = make()
      this.entries.set(key, p)
      const started = p
      // only this promise: a successor set meanwhile stays
      started.catch(() => this.entries.get(key) === started && this.entries.delete(key))
    }
    return p
  }

  peek(key: K): Promise<V> | undefined {
    return this.entries.get(key)
  }

  set(key: K, p: Promise<V>): void {
    this.entries.set(key, p)
  }

  delete(key: K): void {
    this.entries.delete(key)
  }
}
