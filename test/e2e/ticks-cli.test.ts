import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { DEFAULT_TENANT } from '../../src/modules/platform/index.js'
import { monetaCli } from '../support/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-ticks-'))
const moneta = monetaCli({ MONETA_DATA_DIR: dir })

const csv = [
  'ts,instrument,price,volume',
  '2026-01-05T14:30:00.000Z,AAPL,100.00,100',
  '2026-01-05T14:30:01.000Z,MSFT,400.00,100',
  '2026-01-05T14:30:02.000Z,AAPL,100.60,100',
  '2026-01-05T14:30:03.000Z,AAPL,101.10,100', // crosses 101 up; +1.1% in 3 s
  '2026-01-05T14:30:04.000Z,MSFT,391.00,100', // -2.25% in 3 s
  '2026-01-05T14:30:05.000Z,AAPL,100.90,100', // crosses 101 down: the rule is "up" only
  '1767623406000,AAPL,101.50,100', // epoch ms, crosses up again
].join('\n')

describe('moneta ticks replay (embedded PGlite)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(
    'replays a CSV through the rules, prints the expected alerts, and stores each once',
    { timeout: 180_000 },
    async () => {
      const file = join(dir, 'ticks.csv')
      writeFileSync(file, `${csv}\n`)
      expect(
        (
          await moneta(
            'ticks',
            'rules',
            'add',
            '--instrument',
            'AAPL',
            '--kind',
            'price_cross',
            '--level',
            '101',
            '--direction',
            'up',
          )
        ).code,
      ).toBe(0)
      expect(
        (
          await moneta(
            'ticks',
            'rules',
            'add',
            '--instrument',
            '*',
            '--kind',
            'pct_move',
            '--pct',
            '2',
            '--window-sec',
            '10',
          )
        ).code,
      ).toBe(0)
      const first = await moneta('ticks', 'replay', file)
      expect(first.code).toBe(0)
      expect(first.out.trim().split('\n')).toEqual([
        'ALERT 2026-01-05T14:30:03.000Z price_cross AAPL AAPL crossed 101 upwards at 101.1',
        'ALERT 2026-01-05T14:30:04.000Z pct_move MSFT MSFT moved -2.25% within 10s (from 400 to 391)',
        'ALERT 2026-01-05T14:30:06.000Z price_cross AAPL AAPL crossed 101 upwards at 101.5',
        'replayed 7 tick(s), 3 alert(s)',
      ])
      // Replaying the same file again evaluates the same ticks: the same alert ids, stored once.
      expect((await moneta('ticks', 'replay', file, '--quiet')).out.trim()).toBe(
        'replayed 7 tick(s), 3 alert(s)',
      )
      const s = await createServices(loadConfig({ MONETA_DATA_DIR: dir, MONETA_CONFIG_FILE: '' }), {
        logger: pino({ level: 'silent' }),
      })
      try {
        expect(await s.market.listAlerts(DEFAULT_TENANT)).toHaveLength(3)
      } finally {
        await s.ledger.close()
        await s.db.close()
      }
      writeFileSync(file, `${csv}\n2026-01-05T14:30:07Z,AAPL,abc,1\n`)
      const bad = await moneta('ticks', 'replay', file, '--quiet')
      expect(bad.code).toBe(1)
      expect(bad.err).toContain('TICKS_INVALID_LINE')
      expect(bad.err).toContain('line 9')
    },
  )
})
