import { verdict, type PciCheckDefinition } from './report.js'

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/

/** PCI DSS v4.0.1 4.2.1 and 8.6.2: what surrounds the service. */
export const DEPLOYMENT_CHECKS: readonly PciCheckDefinition[] = [
  {
    id: '4.2.1/tls',
    requirement: '4.2.1',
    title: 'TLS in front of the service and on every connection that leaves the host',
    evaluate: (f) => {
      const s = f.settings
      const problems: string[] = []
      if (!s.publicUrl?.startsWith('https://'))
        problems.push(
          s.publicUrl
            ? `MONETA_PUBLIC_URL is ${s.publicUrl}`
            : 'MONETA_PUBLIC_URL is not set: no TLS terminator is declared in front of the plain-HTTP listener',
        )
      if (s.trustProxy === false)
        problems.push('MONETA_TRUST_PROXY is off: no TLS-terminating proxy is declared')
      const db = s.database
      if (
        db.kind === 'postgres' &&
        db.host &&
        !LOOPBACK.test(db.host) &&
        !['require', 'verify-ca', 'verify-full'].includes(db.sslmode ?? '')
      )
        problems.push(`DATABASE_URL reaches ${db.host} without sslmode=require/verify-full`)
      if (s.redis && !s.redis.tls && !LOOPBACK.test(s.redis.host))
        problems.push(`REDIS_URL reaches ${s.redis.host} without TLS (rediss://)`)
      return verdict(
        [
          `public URL: ${s.publicUrl ?? 'unset'}; trusted proxy: ${Array.isArray(s.trustProxy) ? s.trustProxy.join(', ') : String(s.trustProxy)}`,
          `database: ${db.kind}${db.host ? ` at ${db.host}, sslmode ${db.sslmode ?? 'unset'}` : ''}`,
          `redis: ${s.redis ? `${s.redis.tls ? 'rediss' : 'redis'}://${s.redis.host}` : 'none'}`,
        ],
        problems,
        'Serve through a TLS 1.2+ terminator (deploy/terraform/aws: ALB) and set MONETA_PUBLIC_URL=https://… and MONETA_TRUST_PROXY; use sslmode=verify-full and rediss:// for remote stores.',
      )
    },
  },
  {
    id: '8.6.2/secrets-scan',
    requirement: '8.6.2',
    title: 'No credential is hard-coded in configuration or deployment files (secrets scan clean)',
    evaluate: (f) => {
      const scan = f.secretsScan
      const problems = [
        ...f.settings.secretsFromFile.map(
          (n) => `${n} is written in the config file ${f.settings.configFile ?? ''}`,
        ),
        ...(scan?.findings ?? []).map((x) => `${x.ruleId} at ${x.path}:${x.line} (${x.redacted})`),
      ]
      return verdict(
        [
          f.settings.configFile
            ? `config file ${f.settings.configFile}: secret settings in it: ${f.settings.secretsFromFile.join(', ') || 'none'}`
            : 'no config file: settings come from the environment',
          scan
            ? `secrets scan of ${scan.paths.join(', ') || 'nothing'}: ${scan.findings.length} finding(s)`
            : 'no secrets scan was run (only the config file was judged)',
        ],
        problems,
        'Move credentials to the environment from a secrets manager, rotate every credential found, and rescan (moneta scan-secrets).',
      )
    },
  },
]
