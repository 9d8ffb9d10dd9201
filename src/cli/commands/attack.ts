import type { Command } from 'commander'
import { formatTable, runAttack } from '../../modules/attack/index.js'

interface AttackFlags {
  target: string
  apiKey?: string
  sandboxWebhookSecret?: string
  mfaGuesses?: string
  bruteForceGuesses: string
  only?: string
  json?: boolean
  verbose?: boolean
}

function count(name: string, raw: string, max: number): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${name} must be a whole number from 1 to ${max}`)
  return n
}

/**
 * `moneta attack`: the security suite against a running deployment, over HTTP only (unlike every other
 * command, it never opens the database: it sees the target exactly as an attacker does).
 */
export function registerAttackCommands(program: Command): void {
  program
    .command('attack')
    .description('Run the security test suite against a deployment over HTTP; exit 1 if any check fails')
    .requiredOption('--target <url>', 'base URL of the deployment, e.g. http://127.0.0.1:4000')
    .option(
      '--api-key <key>',
      "the target's admin API key (bootstrap key); without it only anonymous checks pass",
    )
    .option(
      '--sandbox-webhook-secret <whsec>',
      "the target's MONETA_SANDBOX_WEBHOOK_SECRET, to sign valid webhooks",
    )
    .option('--mfa-guesses <n>', 'also simulate this many TOTP guesses against one account (e.g. 100000)')
    .option('--brute-force-guesses <n>', 'wrong codes tried by the brute-force check', '25')
    .option('--only <ids>', 'comma-separated check ids (prefixes) to run')
    .option('--json', 'print the report as JSON')
    .option('--verbose', 'print the evidence of passing checks too')
    .action(async (flags: AttackFlags) => {
      let mfaGuesses: number | undefined
      let bruteForceGuesses: number
      try {
        mfaGuesses =
          flags.mfaGuesses === undefined ? undefined : count('--mfa-guesses', flags.mfaGuesses, 10_000_000)
        bruteForceGuesses = count('--brute-force-guesses', flags.bruteForceGuesses, 100_000)
        new URL(flags.target)
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`)
        process.exitCode = 2
        return
      }
      const report = await runAttack({
        target: flags.target,
        bruteForceGuesses,
        ...(flags.apiKey ? { apiKey: flags.apiKey } : {}),
        ...(flags.sandboxWebhookSecret ? { sandboxWebhookSecret: flags.sandboxWebhookSecret } : {}),
        ...(mfaGuesses ? { mfaGuesses } : {}),
        ...(flags.only ? { only: flags.only.split(',').map((s) => s.trim()) } : {}),
        ...(flags.json
          ? {}
          : { onResult: (r) => process.stderr.write(`${r.status} ${r.id} (${r.durationMs} ms)\n`) }),
      })
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : formatTable(report, { verbose: flags.verbose ?? false }),
      )
      process.exitCode = report.failed > 0 ? 1 : 0
    })
}
