export interface Snapshot {
  readonly snapshotId: string
  readonly listId: string
  readonly source: string
  readonly entryCount: number
  readonly added: number
  readonly removed: number
  readonly changed: number
  readonly importedAt: string
  readonly active: boolean
}

/** The parts of a list entry (screening's ListEntry) a diff shows. */
export interface EntryData {
  readonly names?: readonly { name: string; kind?: string }[]
  readonly dobs?: readonly string[]
  readonly countries?: readonly string[]
  readonly programs?: readonly string[]
  readonly identifiers?: readonly unknown[]
  readonly remarks?: string
}
