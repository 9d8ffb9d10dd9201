/**
 * A set of string keys that holds at most `capacity` of them, forgetting the oldest added first.
 * For "have I already done this?" shortcuts whose miss is still correct, only slower (the caller
 * falls back to the database): forgetting costs a round trip, never a wrong answer.
 */
export class BoundedKeySet {
  private readonly keys = new Set<string>()

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
  }

  has(key: string): boolean {
    return this.keys.has(key)
  }

  add(key: string): void {
    if (this.keys.has(key)) return
    if (this.keys.size >= this.capacity) {
      // A Set iterates in insertion order: its first key is the oldest.
      const oldest = this.keys.values().next().value
      if (oldest !== undefined) this.keys.delete(oldest)
    }
    this.keys.add(key)
  }

  get size(): number {
    return this.keys.size
  }
}
