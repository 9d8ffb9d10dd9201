import type { Rule } from '../types.js'

/** Passwords people type for local databases: a finding there would be noise, not a leak. */
const TRIVIAL_PASSWORDS = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'postgres',
  'postgresql',
  'mysql',
  'root',
  'admin',
  'changeme',
  'test',
  'testing',
  'guest',
  'user',
  'example',
  'dev',
  'development',
  'local',
  'localhost',
  'redis',
  'mongo',
  'mongodb',
  'rabbitmq',
  'default',
  'letmein',
  'qwerty',
  'docker',
  'moneta',
  'sa',
  'pw',
])

/** `.env`, `.env.production`, but not the templates meant to be committed (`.env.example` …). */
const DOTENV_PATH =
  /(?:^|\/)\.env(?:\.(?!example$|sample$|template$|dist$|defaults?$|schema$|tpl$)[\w.-]+)?$/i

/** Configuration-shaped secrets: connection strings and `.env` files. */
export const CONFIG_RULES: readonly Rule[] = [
  {
    id: 'database-url-password',
    title: 'Database URL with a password',
    severity: 'high',
    why: 'A connection string with its password: connects to the database as that user.',
    keywords: ['://'],
    pattern:
      /(?<![A-Za-z0-9+.-])(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|cockroachdb|clickhouse)(?:\+[a-z0-9]+)?:\/\/(?<user>[^\s:/@'"`]{0,64}):(?<secret>[^\s@/'"`]{1,200})@(?<host>[^\s/:'"`?,;]+)/gi,
    reject: (secret, ctx) => {
      if (secret.length < 6 || TRIVIAL_PASSWORDS.has(secret.toLowerCase())) return 'a trivial local password'
      // `authpassword`, `mysecretpw`: written to be read in documentation, not drawn at random.
      if (/pass(?:word)?|secret|pwd/i.test(secret)) return 'the password names itself (a documentation value)'
      if (secret === ctx.match.groups?.user) return 'password equals the user name'
      return undefined
    },
  },
  {
    id: 'dotenv-secret',
    title: 'Secret in a committed .env file',
    severity: 'high',
    why: '.env files hold the real values of an environment; committed, every reader of the repository has them.',
    keywords: [],
    paths: DOTENV_PATH,
    pattern:
      /^[ \t]*(?:export[ \t]+)?(?<key>[A-Za-z0-9_.-]*(?:secret|password|passwd|pwd|token|api_?key|private_?key|access_?key|credentials?|auth|master_?key)[A-Za-z0-9_.-]*)[ \t]*=[ \t]*["']?(?<secret>[^\s"'#]{8,})/gim,
    minEntropy: 2.5,
  },
]
