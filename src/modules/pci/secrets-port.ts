import { statSync } from 'node:fs'
import { join } from 'node:path'
import { scanPath } from '../secrets/index.js'
import type { SecretsScanPort } from './collect.js'

/**
 * The report's secrets scan (8.6.2) through the secrets module: a working-tree scan of each path
 * (a file or a folder), findings redacted by the scanner and named by their full path.
 */
export const secretsScanner = (): SecretsScanPort => ({
  async scan(path) {
    const r = await scanPath(path)
    const dir = statSync(path).isDirectory()
    return {
      findings: r.findings.map((f) => ({
        path: dir ? join(path, f.path) : path,
        line: f.line,
        ruleId: f.ruleId,
        redacted: f.redacted,
      })),
    }
  },
})
