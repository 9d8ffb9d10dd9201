import { githubChecksumValid } from '../github-checksum.js'
import type { Rule } from '../types.js'
import { token } from './patterns.js'

/** Code hosting and chat: tokens that open the source, CI and the incident channel. */
export const PLATFORM_RULES: readonly Rule[] = [
  {
    id: 'github-token',
    title: 'GitHub token',
    severity: 'critical',
    why: 'Acts as the GitHub user or app (ghp_ personal, gho_ OAuth, ghu_/ghs_ app, ghr_ refresh): repositories, CI secrets, packages.',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: token('gh[pousr]_[A-Za-z0-9]{36}', 'A-Za-z0-9_'),
    printablePrefix: /^gh[pousr]_/,
    minEntropy: 3.5,
    reject: (s) =>
      githubChecksumValid(s) ? undefined : "GitHub's CRC32 checksum does not match (not an issued token)",
  },
  {
    id: 'github-fine-grained-token',
    title: 'GitHub fine-grained personal access token',
    severity: 'critical',
    why: 'Acts as the GitHub user on the repositories and permissions the token was given.',
    keywords: ['github_pat_'],
    pattern: token('github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}', 'A-Za-z0-9_'),
    printablePrefix: /^github_pat_/,
    minEntropy: 3.5,
  },
  {
    id: 'gitlab-token',
    title: 'GitLab token',
    severity: 'critical',
    why: 'Acts as the GitLab user, deploy key, runner or trigger it was issued for.',
    keywords: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'glsoat-', 'glcbt-'],
    pattern: token(
      'gl(?:pat|dt|rt|ptt|ft|soat|cbt)-[0-9A-Za-z_-]{20,64}(?:\\.[0-9a-z]{2}\\.[0-9a-z]{9})?',
      'A-Za-z0-9_-',
    ),
    printablePrefix: /^gl[a-z]+-/,
    minEntropy: 3.5,
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    severity: 'high',
    why: 'Reads and posts in the Slack workspace as the bot, user or app.',
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe-', 'xapp-'],
    pattern: token(
      'xox[baprse]-[0-9]{8,14}-(?:[0-9]{8,14}-)*[0-9A-Za-z]{20,40}|xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{9,14}-[a-f0-9]{32,64}',
      'A-Za-z0-9_-',
    ),
    printablePrefix: /^x(?:ox[a-z]|app)-/,
    minEntropy: 3,
  },
  {
    id: 'slack-webhook-url',
    title: 'Slack incoming-webhook URL',
    severity: 'medium',
    why: 'Posts messages into the Slack channel (a phishing channel inside the company).',
    keywords: ['hooks.slack.com'],
    pattern:
      /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>T[A-Z0-9]{8,12}\/[AB][A-Z0-9]{8,12}\/[A-Za-z0-9]{23,25})/g,
    printablePrefix: /^T[A-Z0-9]+\//,
    minEntropy: 3,
  },
]
