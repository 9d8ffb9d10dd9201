import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { monetaCli } from '../support/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-screen-'))
const moneta = monetaCli({ MONETA_DATA_DIR: join(dir, 'data') })

describe('moneta screen / lists (embedded PGlite)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('imports an OFAC CSV set with a progress bar, screens names, and rejects a malformed file without touching the list', async () => {
    const sdnDir = join(dir, 'sdn')
    mkdirSync(sdnDir)
    writeFileSync(
      join(sdnDir, 'sdn.csv'),
      '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Apr 1962."\r\n' +
        '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n',
    )
    writeFileSync(join(sdnDir, 'alt.csv'), '306,220,"aka","NATIONAL BANK OF CUBA",-0- \r\n')
    const imp = await moneta('lists', 'import', sdnDir)
    expect(imp.code).toBe(0)
    expect(imp.out).toMatch(
      /ofac_sdn: snapshot scs_\w+ active — 2 entries, \+2 added, -0 removed, ~0 changed/,
    )
    expect(imp.err).toMatch(/import \[/)

    const hit = await moneta(
      'screen',
      'Khaled Abu Sayyaf',
      '--dob',
      '1962-04-04',
      '--type',
      'person',
      '--fail-on-hit',
    )
    expect(hit.code).toBe(3)
    expect(hit.out).toMatch(/ofac_sdn:7157 {2}ABU SAYYAF, Khalid {2}\[person]/)
    expect(hit.out).toMatch(/date of birth 1962-04-04 matches/)
    const csv = join(dir, 'people.csv')
    writeFileSync(
      csv,
      'full_name,date_of_birth,nationality\n"SAYYAF, Khaled Abu",1962-04-04,ph\nJane Roe,1990,se\nNational Bank of Cuba,,\n',
    )
    const batch = await moneta('screen', '--file', csv)
    expect(batch.code).toBe(0)
    const lines = batch.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; hits: { entryKey: string; summary: string }[] })
    expect(lines.map((l) => [l.line, l.hits.map((h) => h.entryKey)])).toEqual([
      [2, ['7157']],
      [3, []],
      [4, ['306']],
    ])
    expect(lines[2]!.hits[0]!.summary).toContain('alias "NATIONAL BANK OF CUBA"')

    const bad = join(dir, 'broken.xml')
    writeFileSync(
      bad,
      '<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><DATAID>1</DATA></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>',
    )
    const rejected = await moneta('lists', 'import', bad, '--format', 'un-xml')
    expect(rejected.code).toBe(1)
    expect(rejected.err).toMatch(/SCREENING_LIST_MALFORMED: broken\.xml: line 3, column \d+/)
    const status = await moneta('lists', 'status')
    expect(status.out.trim().split('\n')).toHaveLength(1)
    expect(status.out).toMatch(/^ofac_sdn +2 entries/)
  }, 120_000)
})
