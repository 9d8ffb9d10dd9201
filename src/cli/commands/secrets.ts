import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import {
  attributeCommits,
  formatJson,
  formatSarif,
  formatText,
  installHook,
  scanPath,
  summary,
  writeBaseline,
} from '../../modules/secrets/index.js'

interface ScanOpts {
  history?: boolean
  since?: string
  staged?: boolean
  baseline?: string
  writeBaseline?: string
  format: string
  output?: string
  ignoreFile?: string
  gitignore: boolean
  maxFileMb: string
  installHook?: boolean
  force?: boolean
}

const FORMATS = ['text', 'json', 'sarif'] as const

/**
 * `moneta scan-secrets [PATH]`: exit 0 clean, 1 findings, 2 bad usage. Runs without a database or
 * configuration (it is a developer and CI tool, and the pre-commit hook must start fast).
 */
export function registerSecretsCommands(program: Command): void {
  program
    .command('scan-secrets')
    .description('Find credentials in a working tree or its git history (docs/secrets.md)')
    .argument('[path]', 'file or directory to scan', '.')
    .option('--history', 'scan every blob of the git history, each once')
    .option('--since <ref>', 'scan only history not reachable from REF (implies --history)')
    .option('--staged', 'scan what `git commit` would record (used by the pre-commit hook)')
    .option('--baseline <file>', 'accept the findings recorded in this baseline file')
    .option('--write-baseline <file>', 'write the current findings as a baseline and exit 0')
    .option('--format <format>', 'text | json | sarif', 'text')
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--ignore-file <file>', 'paths to skip (gitignore syntax; default <root>/.moneta-secrets-ignore)')
    .option('--no-gitignore', 'walk every file instead of what git lists (e.g. to scan node_modules)')
    .option('--max-file-mb <n>', 'skip files larger than this', '10')
    .option('--install-hook', 'install a git pre-commit hook that runs this scan on staged files')
    .option('--force', 'with --install-hook: replace an existing hook')
    .action(async (path: string, opts: ScanOpts) => {
      const format = opts.format as (typeof FORMATS)[number]
      const maxMb = Number(opts.maxFileMb)
      if (!FORMATS.includes(format) || !(maxMb > 0)) {
        process.stderr.write('--format must be text, json or sarif; --max-file-mb a positive number\n')
        process.exitCode = 2
        return
      }
      if (opts.installHook) {
        const file = await installHook(path, {
          ...(opts.force ? { force: true } : {}),
          ...(opts.baseline ? { baseline: opts.baseline } : {}),
        })
        process.stdout.write(`pre-commit hook installed: ${file}\n`)
        return
      }
      let result = await scanPath(path, {
        ...(opts.history ? { history: true } : {}),
        ...(opts.since ? { since: opts.since } : {}),
        ...(opts.staged ? { staged: true } : {}),
        ...(opts.baseline ? { baseline: opts.baseline } : {}),
        ...(opts.ignoreFile ? { ignoreFile: opts.ignoreFile } : {}),
        gitignore: opts.gitignore,
        maxFileBytes: Math.round(maxMb * 1024 * 1024),
      })
      if (opts.history || opts.since) result = await attributeCommits(path, result)
      if (opts.writeBaseline) {
        writeBaseline(opts.writeBaseline, result.findings)
        process.stdout.write(
          `baseline of ${result.findings.length} findings written to ${opts.writeBaseline}\n`,
        )
        return
      }
      const report =
        format === 'json' ? formatJson(result) : format === 'sarif' ? formatSarif(result) : formatText(result)
      if (opts.output) {
        writeFileSync(opts.output, report)
        process.stderr.write(`${summary(result)}\n`)
      } else {
        process.stdout.write(report)
      }
      process.exitCode = result.findings.length > 0 ? 1 : 0
    })
}
