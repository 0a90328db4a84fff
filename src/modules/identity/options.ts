import { defineOption, integer } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly passwordMinLength: number;
    readonly passwordMinScore: number;
    readonly stepUpMinutes: number;
    readonly lockoutThreshold: number;
    readonly lockoutMinutes: number;
    readonly sessionIdleMinutes: number;
    readonly sessionAbsoluteHours: number;
    readonly operatorSessionIdleMinutes: number;
    readonly operatorSessionAbsoluteHours: number;
  }
}

/** The identity module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const IDENTITY_OPTIONS = [
  defineOption({
    key: 'passwordMinLength', env: 'PARAPET_PASSWORD_MIN_LENGTH', defaultText: '12',
    description: 'Shortest accepted password (8 to 64 characters; NIST SP 800-63B allows no less than 8).',
    parse: integer(8, 64), derive: () => 12,
  }),
  defineOption({
    key: 'passwordMinScore', env: 'PARAPET_PASSWORD_MIN_SCORE', defaultText: '3',
    description: 'zxcvbn strength score (0 to 4) a new password needs; 0 only shows the estimate and refuses nothing.',
    parse: integer(0, 4), derive: () => 3,
  }),
  defineOption({
    key: 'stepUpMinutes', env: 'PARAPET_STEP_UP_MINUTES', defaultText: '10',
    description: 'Sensitive actions (changing MFA factors, policy, API keys) need a sign-in or re-authentication within this many minutes (1 to 60).',
    parse: integer(1, 60), derive: () => 10,
  }),
  defineOption({
    key: 'lockoutThreshold', env: 'PARAPET_LOCKOUT_THRESHOLD', defaultText: '10',
    description: 'Failed sign-ins in a row after which an account is locked for PARAPET_LOCKOUT_MINUTES (1 to 100; NIST SP 800-63B allows no more than 100).',
    parse: integer(1, 100), derive: () => 10,
  }),
  defineOption({
    key: 'lockoutMinutes', env: 'PARAPET_LOCKOUT_MINUTES', defaultText: '15',
    description: 'How long a locked account refuses sign-in, even with the right password.',
    parse: integer(1, 24 * 60), derive: () => 15,
  }),
  defineOption({
    key: 'sessionIdleMinutes', env: 'PARAPET_SESSION_IDLE_MINUTES', defaultText: '30',
    description: 'Organization members: a console session ends after this long without use.',
    parse: integer(1, 24 * 60), derive: () => 30,
  }),
  defineOption({
    key: 'sessionAbsoluteHours', env: 'PARAPET_SESSION_ABSOLUTE_HOURS', defaultText: '12',
    description: 'Organization members: a console session ends this long after sign-in, used or not.',
    parse: integer(1, 30 * 24), derive: () => 12,
  }),
  defineOption({
    key: 'operatorSessionIdleMinutes', env: 'PARAPET_OPERATOR_SESSION_IDLE_MINUTES', defaultText: '15',
    description: 'Platform administrators: idle timeout of a console session.',
    parse: integer(1, 24 * 60), derive: () => 15,
  }),
  defineOption({
    key: 'operatorSessionAbsoluteHours', env: 'PARAPET_OPERATOR_SESSION_ABSOLUTE_HOURS', defaultText: '4',
    description: 'Platform administrators: absolute lifetime of a console session.',
    parse: integer(1, 30 * 24), derive: () => 4,
  }),
] as const;
