import { describe, expect, it } from 'vitest'
import { DATASETS, parquetColumns } from './datasets.js'

describe('native projections (ADR 1202)', () => {
  it.each(DATASETS.filter((d) => d.projections?.length).map((d) => [d.name, d] as const))(
    '%s: every projection uses only the dataset’s columns, and a keyed one carries the key and analytics_seq',
    (_, d) => {
      const names = new Set(parquetColumns(d).map((c) => c.name))
      for (const p of d.projections!) {
        for (const c of p.columns) expect(names.has(c), `${p.name}.${c}`).toBe(true)
        // without them a reader beside later day files could not keep each key's latest version
        if (d.key) expect(p.columns).toEqual(expect.arrayContaining([...d.key, 'analytics_seq']))
      }
    },
  )
})
