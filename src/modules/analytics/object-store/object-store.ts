/** One object of a listing: its key (relative to the store's prefix, '/'-separated) and size in bytes. */
export interface StoredObject {
  readonly key: string
  readonly size: number
}

/**
 * The analytics module's port to an object store (ADR 1201): whole files in and out, keys relative to
 * the configured prefix, so a key is the file's path relative to the local mirror. Every method fails
 * with ANALYTICS_STORAGE_FAILED, the vendor's error as its cause (unreachable, refused, no bucket).
 */
export interface ObjectStore {
  /** `s3://bucket/prefix`, for messages. */
  readonly describe: string
  /** Every object whose key starts with `prefix`, all pages. */
  list(prefix: string): Promise<StoredObject[]>
  /** Stores `file` under `key`, replacing what was there: a repeat is harmless. */
  upload(file: string, key: string): Promise<void>
  /** Writes the object into `file` (callers give a temporary name and rename it into place). */
  download(key: string, file: string): Promise<void>
  /** Deletes the keys; a key already gone is not an error. */
  remove(keys: readonly string[]): Promise<void>
  close(): void
}
