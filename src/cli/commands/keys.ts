import { SingleBar, Presets } from 'cli-progress'
import type { Command } from 'commander'
import { withServices } from '../context.js'
import { jsonText } from '../output.js'

/** `moneta keys status|rotate|reencrypt`: data-key lifecycle. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Field-encryption keys: status, rotation, re-encryption')

  keys
    .command('status')
    .description(
      'List data keys (status, usage against the rotation budget) and rows per key of each encrypted field',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) =>
      withServices(async (s) => {
        const st = await s.crypto.status()
        if (opts.json) {
          process.stdout.write(jsonText(st))
          return
        }
        process.stdout.write(
          `master key ${s.crypto.keyring.kekId}; primary data key ${s.crypto.keyring.primaryKeyId()}\n`,
        )
        process.stdout.write(
          'key  purpose  status   usage / limit              created                   master key\n',
        )
        for (const k of st.keys) {
          const usage = k.purpose === 'field' ? `${k.usage} / ${k.usageLimit}` : '-'
          process.stdout.write(
            `${String(k.keyId).padEnd(4)} ${k.purpose.padEnd(8)} ${k.status.padEnd(8)} ${usage.padEnd(26)} ${k.createdAt.toISOString()} ${k.kekId}${k.available ? '' : ' (not held)'}\n`,
          )
        }
        for (const f of st.fields) {
          if (f.error) {
            process.stdout.write(`${f.field}: cannot count (${f.error})\n`)
            continue
          }
          const parts = Object.entries(f.rowsByKey).map(([k, n]) => `key ${k}: ${n}`)
          process.stdout.write(`${f.field}: ${parts.length ? parts.join(', ') : 'no rows'}\n`)
        }
      }),
    )

  keys
    .command('rotate')
    .description(
      'Make a new primary data key; older keys keep decrypting until re-encryption moves their rows',
    )
    .option('--reason <text>', 'recorded in the audit log', 'manual rotation')
    .action(async (opts: { reason: string }) =>
      withServices(async (s) => {
        const info = await s.crypto.keyring.rotate(opts.reason)
        await s.audit.flush()
        process.stdout.write(
          `new primary data key ${info.keyId} (master key ${info.kekId}); run \`moneta keys reencrypt\` to move existing rows\n`,
        )
      }),
    )

  keys
    .command('reencrypt')
    .description(
      'Re-encrypt every registered encrypted field under the primary key, in the background of normal traffic; resumable',
    )
    .option('--tenant <id>', 'only this tenant')
    .option('--field <table.column>', 'only this field')
    .option('--batch-size <n>', 'rows per transaction', '500')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { tenant?: string; field?: string; batchSize: string; progress: boolean }) => {
      const batchSize = Number(opts.batchSize)
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        process.stderr.write('--batch-size must be a whole number from 1 to 10000\n')
        process.exitCode = 2
        return
      }
      // Set after the database closes: PGlite's shutdown resets process.exitCode.
      process.exitCode = await withServices(async (s) => {
        const abort = new AbortController()
        const onSigint = (): void => {
          process.stderr.write('\nstopping after the current batch; run the command again to resume\n')
          abort.abort()
        }
        process.once('SIGINT', onSigint)
        const bar =
          opts.progress && process.stderr.isTTY
            ? new SingleBar(
                { format: '{field} pass {pass} [{bar}] {value}/{total} rows  {eta_formatted}' },
                Presets.shades_classic,
              )
            : undefined
        let current = ''
        try {
          const results = await s.crypto.reencrypt({
            tenant: opts.tenant,
            batchSize,
            signal: abort.signal,
            ...(opts.field ? { field: opts.field } : {}),
            onProgress: (p) => {
              if (!bar) return
              if (p.field !== current) {
                if (current) bar.stop()
                current = p.field
                bar.start(p.total, p.done, { field: p.field, pass: p.pass })
              } else {
                bar.setTotal(p.total)
                bar.update(p.done, { pass: p.pass })
              }
            },
          })
          bar?.stop()
          for (const r of results) {
            process.stdout.write(
              `${r.field}: ${r.reencrypted} re-encrypted under key ${r.targetKeyId}${r.resumed ? ' (resumed)' : ''}, ${r.remaining} remaining` +
                `${r.unavailable ? `, ${r.unavailable} under keys of another master key` : ''}${r.finished ? ' — done' : ' — not finished; run again to resume'}\n`,
            )
          }
          if (results.length === 0) process.stdout.write('no encrypted fields registered\n')
          return results.every((r) => r.finished) ? 0 : 3
        } finally {
          bar?.stop()
          process.off('SIGINT', onSigint)
        }
      })
    })
}
