import { verdict, type PciCheckDefinition } from './report.js'

/** PCI DSS v4.0.1 section 8: identification and authentication of the people who operate Moneta. */
export const ACCESS_CHECKS: readonly PciCheckDefinition[] = [
  {
    id: '8.2.8/idle-timeout',
    requirement: '8.2.8',
    title: 'Sessions idle for more than 15 minutes require re-authentication',
    evaluate: (f) => {
      const idle = f.settings.sessionIdleMinutes
      return verdict(
        [
          `MONETA_SESSION_IDLE_MINUTES = ${idle} (operator sessions, OIDC sessions included)`,
          `absolute session limit ${f.settings.sessionMaxHours} h`,
        ],
        idle > 15 ? [`sessions stay open ${idle} minutes idle`] : [],
        'Set MONETA_SESSION_IDLE_MINUTES to 15 or less (the default).',
      )
    },
  },
  {
    id: '8.3.4/lockout',
    requirement: '8.3.4',
    title: 'Accounts lock after at most 10 invalid attempts, for at least 30 minutes',
    evaluate: (f) => {
      const { lockoutThreshold: n, lockoutMinutes: m } = f.settings
      const problems = [
        ...(n > 10 ? [`an operator locks only after ${n} failures`] : []),
        ...(m < 30 ? [`a lock lasts ${m} minutes`] : []),
      ]
      return verdict(
        [
          `MONETA_LOCKOUT_THRESHOLD = ${n} failures in a row`,
          `MONETA_LOCKOUT_MINUTES = ${m} (doubling per further lock; the 5th lock in a row holds until an admin unlocks)`,
        ],
        problems,
        'Set MONETA_LOCKOUT_THRESHOLD ≤ 10 and MONETA_LOCKOUT_MINUTES ≥ 30 (the defaults).',
      )
    },
  },
  {
    id: '8.3.6/password-strength',
    requirement: '8.3.6',
    title: 'Passwords have at least 12 characters, with letters and digits',
    evaluate: (f) => {
      const { passwordMinLength: len, passwordRequireLettersAndDigits: mixed } = f.settings
      return verdict(
        [
          `MONETA_PASSWORD_MIN_LENGTH = ${len}`,
          `letters and digits required: ${mixed}`,
          'breached-password list checked on every new password',
        ],
        [
          ...(len < 12 ? [`passwords of ${len} characters are accepted`] : []),
          ...(mixed ? [] : ['passwords without a digit or without a letter are accepted']),
        ],
        'Set MONETA_PASSWORD_MIN_LENGTH ≥ 12 and leave MONETA_PASSWORD_REQUIRE_LETTERS_AND_DIGITS on (the defaults).',
      )
    },
  },
  {
    id: '8.4.2/mfa',
    requirement: '8.4.2',
    title: 'Multi-factor authentication for every role with access to cardholder data',
    evaluate: (f) => {
      const a = f.access
      const problems: string[] = []
      for (const role of a.chdRoles)
        if (!a.mfaRoles.includes(role)) problems.push(`role ${role} reaches cardholder data without MFA`)
      if (a.oidc.configured)
        for (const role of a.chdRoles)
          if (!a.oidc.secondFactorRequiredFor.includes(role))
            problems.push(`OIDC sign-in does not require a second factor for role ${role}`)
      for (const o of a.operators)
        if (o.unprotectedSessions > 0)
          problems.push(
            `${o.unprotectedSessions} live session(s) of unenrolled ${o.role} operators in tenant ${o.tenant} have full access`,
          )
      const evidence = [
        `roles reaching cardholder data (${a.chdPermissions.join(', ')}): ${a.chdRoles.join(', ') || 'none'}`,
        `roles that must enrol TOTP before any other action: ${a.mfaRoles.join(', ')}`,
        a.oidc.configured
          ? `OIDC sign-in requires a second factor (amr) for: ${a.oidc.secondFactorRequiredFor.join(', ')}`
          : 'OIDC sign-in not configured',
        ...a.operators
          .filter((o) => a.chdRoles.includes(o.role))
          .map(
            (o) =>
              `tenant ${o.tenant}: ${o.active} active ${o.role} operator(s), ${o.enrolled} enrolled (the others can only enrol)`,
          ),
      ]
      return verdict(
        evidence,
        problems,
        'Every role holding vault or payments permissions must be in MFA_REQUIRED_ROLES; revoke sessions that bypassed enrolment (moneta operators reset-mfa).',
      )
    },
  },
]
