import type { Rule } from '../types.js'
import { assignment, token } from './patterns.js'

const AWS_KEY_ID = '(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'

/** Cloud providers. */
export const CLOUD_RULES: readonly Rule[] = [
  {
    id: 'aws-access-key-id',
    title: 'AWS access key id',
    severity: 'high',
    why: 'Half of an AWS credential (ASIA…: temporary); with the secret access key it signs AWS API calls as its IAM principal.',
    keywords: ['akia', 'asia', 'abia', 'acca'],
    pattern: token(AWS_KEY_ID, 'A-Za-z0-9'),
    printablePrefix: /^A[A-Z]{3}/,
    minEntropy: 2.5,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    severity: 'critical',
    why: 'Signs AWS API calls as the IAM user or role it belongs to.',
    keywords: ['secret'],
    pattern: assignment(
      'aws[_.-]?secret(?:[_.-]?access)?[_.-]?key|secret[_.-]?access[_.-]?key|secretaccesskey',
      '[A-Za-z0-9/+]{40}',
    ),
    minEntropy: 3.5,
  },
  {
    id: 'aws-secret-access-key-paired',
    title: 'AWS secret access key (next to its key id)',
    severity: 'critical',
    why: 'A 40-character secret beside an AWS access key id (credentials CSV, INI or code): together they sign AWS API calls.',
    keywords: ['akia', 'asia'],
    pattern: token('[A-Za-z0-9/+]{40}', 'A-Za-z0-9/+=_.-'),
    // Next to a real-looking key id: AWS's documentation id (…EXAMPLE) pairs with its documentation secret.
    near: { pattern: /(?:AKIA|ASIA)(?![A-Z2-7]*EXAMPLE)[A-Z2-7]{16}/, lines: 3 },
    minEntropy: 4.3,
    // A git object id or a hex digest has the same length; AWS secrets use the base64 alphabet.
    reject: (s) => (/^[0-9a-f]{40}$/i.test(s) ? 'hexadecimal (a digest, not an AWS secret)' : undefined),
  },
  {
    id: 'aws-session-token',
    title: 'AWS session token',
    severity: 'high',
    why: 'The third part of temporary AWS credentials (STS); valid until it expires.',
    keywords: ['session', 'security'],
    pattern: assignment('(?:aws[_.-]?)?(?:session|security)[_.-]?token', '[A-Za-z0-9/+=]{100,}'),
    near: { pattern: /aws|\bASIA[A-Z2-7]{16}\b/i, lines: 6 },
    minEntropy: 4,
  },
  {
    id: 'gcp-service-account-key',
    title: 'Google Cloud service-account key (JSON)',
    severity: 'critical',
    why: 'The private key of a Google Cloud service account: acts as that account on every project it is granted.',
    keywords: ['private_key'],
    maxLength: 8300,
    pattern:
      /"private_key"\s*:\s*"(?<secret>-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\n|\n)[A-Za-z0-9+/=\\\n]{64,8000}-----END (?:RSA )?PRIVATE KEY-----(?:\\n)?)"/g,
    printablePrefix: /^-----BEGIN (?:RSA )?PRIVATE KEY-----/,
    near: { pattern: /"type"\s*:\s*"service_account"|"client_email"\s*:|"private_key_id"\s*:/, lines: 30 },
  },
  {
    id: 'gcp-api-key',
    title: 'Google API key',
    severity: 'medium',
    why: 'A Google Cloud API key: bills the project for whatever APIs it is not restricted from.',
    keywords: ['aiza'],
    pattern: token('AIza[0-9A-Za-z_-]{35}', 'A-Za-z0-9_-'),
    printablePrefix: /^AIza/,
    minEntropy: 3.5,
  },
  {
    id: 'azure-storage-account-key',
    title: 'Azure storage account key',
    severity: 'critical',
    why: 'Full access to every blob, queue, table and file share of the storage account.',
    keywords: ['accountkey='],
    pattern: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/gi,
    minEntropy: 4,
  },
  {
    id: 'azure-client-secret',
    title: 'Azure AD (Entra ID) client secret',
    severity: 'high',
    why: "An app registration's client secret: obtains tokens as that application in the tenant.",
    keywords: ['q~'],
    pattern: token('[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}', 'A-Za-z0-9_~.-'),
    minEntropy: 3.5,
  },
  {
    id: 'azure-sas-token',
    title: 'Azure shared access signature',
    severity: 'high',
    why: 'A signed URL granting the permissions in its `sp=` on the storage resource until `se=`.',
    keywords: ['sig='],
    pattern: /sv=\d{4}-\d\d-\d\d&[^\s"'<>]{0,400}?sig=(?<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})/gi,
    minEntropy: 3.5,
  },
]
