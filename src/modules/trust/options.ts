import { defineOption, asString, integer, nonEmpty, optional, optionalHttpUrl, list, OptionError } from '../../config/options.ts';

declare module '../../config/options.ts' {
  interface Config {
    readonly trustName: string;
    readonly trustLogoUrl: string | undefined;
    /** `#rrggbb`: the accent colour of the public trust pages. */
    readonly trustAccentColor: string;
    /** Linked from the trust center only when set (the status page and disclosure policy are other modules'). */
    readonly trustStatusUrl: string | undefined;
    readonly trustDisclosureUrl: string | undefined;
    readonly trustCheckIntervalMinutes: number;
    /** An organization whose administrators receive an alert when a trust check starts failing. */
    readonly trustAlertOrganization: string | undefined;
    /** ENC-5: the newest verified backup must be younger than this (hours, from the backup's creation). */
    readonly trustBackupMaxAgeHours: number;
    /** ENC-5: the last test restore must be younger than this (days). */
    readonly trustRestoreTestMaxAgeDays: number;
    /** Attestations: the alert is raised this many days before one lapses. */
    readonly trustAttestationAlertDays: number;
    /** security.txt Contact lines (mailto:, https: or tel: URIs); none: no security.txt is served. */
    readonly securityContacts: readonly string[];
    readonly securityTxtExpiresDays: number;
    readonly securityTxtPolicyUrl: string | undefined;
    readonly securityTxtAcknowledgmentsUrl: string | undefined;
    /** security.txt CSAF: the CSAF provider metadata (e.g. the disclosure module's /.well-known/csaf/provider-metadata.json). */
    readonly securityTxtCsafUrl: string | undefined;
    readonly securityTxtEncryptionUrl: string | undefined;
    readonly securityTxtLanguages: readonly string[];
    /** An armored OpenPGP private key that cleartext-signs security.txt. */
    readonly securityPgpKeyFile: string | undefined;
    readonly securityPgpPassphrase: string | undefined;
  }
}

/** A link on a public page: a path on this server or an https:// URL. */
function trustLink(raw: unknown): string | undefined {
  const text = optional(raw);
  if (text === undefined) return undefined;
  if (/^\/(?!\/)[^\s"'<>]*$/.test(text)) return text;
  try {
    if (new URL(text).protocol === 'https:') return text;
  } catch {
    // reported below
  }
  throw new OptionError('expected a path starting with / or an https:// URL');
}

/** The trust module's configuration options: in its manifest, and so in the README table and `parapet config check`. */
export const TRUST_OPTIONS = [
  defineOption({
    key: 'trustName', env: 'PARAPET_TRUST_NAME', defaultText: 'Parapet',
    description: 'The company name shown on the public trust center (/trust).',
    parse: (raw) => { const text = nonEmpty(raw); if (text.length > 100) throw new OptionError('expected at most 100 characters'); return text; }, derive: () => 'Parapet',
  }),
  defineOption({
    key: 'trustLogoUrl', env: 'PARAPET_TRUST_LOGO_URL', defaultText: '(unset: no logo)',
    description: 'Logo image on the trust center: a path on this server (e.g. /assets/logo.svg) or an https:// URL allowed by the CSP.',
    parse: trustLink, derive: () => undefined,
  }),
  defineOption({
    key: 'trustAccentColor', env: 'PARAPET_TRUST_ACCENT_COLOR', defaultText: '#1f4e8c',
    description: 'Accent colour of the trust center, #rrggbb.',
    parse: (raw) => { const text = asString(raw).toLowerCase(); if (!/^#[0-9a-f]{6}$/.test(text)) throw new OptionError('expected a colour as #rrggbb'); return text; }, derive: () => '#1f4e8c',
  }),
  defineOption({
    key: 'trustStatusUrl', env: 'PARAPET_TRUST_STATUS_URL', defaultText: '(unset: no link)',
    description: 'The status page the trust center links to (e.g. /status); unset, no link is shown.',
    parse: trustLink, derive: () => undefined,
  }),
  defineOption({
    key: 'trustDisclosureUrl', env: 'PARAPET_TRUST_DISCLOSURE_URL', defaultText: '(unset: no link)',
    description: 'The vulnerability disclosure policy the trust center links to (e.g. /security/disclosure); unset, no link is shown.',
    parse: trustLink, derive: () => undefined,
  }),
  defineOption({
    key: 'trustCheckIntervalMinutes', env: 'PARAPET_TRUST_CHECK_INTERVAL_MINUTES', defaultText: '15',
    description: 'How often the trust center re-runs its live control checks (TR-4).',
    parse: integer(1, 1440), derive: () => 15,
  }),
  defineOption({
    key: 'trustAlertOrganization', env: 'PARAPET_TRUST_ALERT_ORGANIZATION', defaultText: '(unset: failures are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when a trust check starts failing.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
  defineOption({
    key: 'trustBackupMaxAgeHours', env: 'PARAPET_TRUST_BACKUP_MAX_AGE_HOURS', defaultText: '48',
    description: 'ENC-5: the trust center check fails when the newest verified backup (`parapet backup verify`) was created longer ago than this.',
    parse: integer(1, 8784), derive: () => 48,
  }),
  defineOption({
    key: 'trustRestoreTestMaxAgeDays', env: 'PARAPET_TRUST_RESTORE_TEST_MAX_AGE_DAYS', defaultText: '92',
    description: 'ENC-5: the trust center check fails when the last test restore (`parapet backup test-restore`) is older than this.',
    parse: integer(1, 3660), derive: () => 92,
  }),
  defineOption({
    key: 'trustAttestationAlertDays', env: 'PARAPET_TRUST_ATTESTATION_ALERT_DAYS', defaultText: '14',
    description: 'A security alert (in PARAPET_TRUST_ALERT_ORGANIZATION) is raised this many days before an attestation lapses.',
    parse: integer(1, 365), derive: () => 14,
  }),
  defineOption({
    key: 'securityContacts', env: 'PARAPET_SECURITY_CONTACTS', defaultText: '(unset: no security.txt)',
    description: 'Comma-separated security.txt Contact URIs (mailto:, https: or tel:), in order of preference (RFC 9116 §2.5.3).',
    parse: (raw) => list(raw).map((uri) => { if (!/^(mailto:[^\s@,]+@[^\s@,]+|https:\/\/[^\s,]+|tel:\+?[0-9-]+)$/.test(uri)) throw new OptionError('expected mailto:, https:// or tel: URIs'); return uri; }), derive: () => [],
  }),
  defineOption({
    key: 'securityTxtExpiresDays', env: 'PARAPET_SECURITY_TXT_EXPIRES_DAYS', defaultText: '180',
    description: 'security.txt Expires is this many days after it is rendered (RFC 9116 recommends less than a year).',
    parse: integer(1, 365), derive: () => 180,
  }),
  defineOption({
    key: 'securityTxtPolicyUrl', env: 'PARAPET_SECURITY_TXT_POLICY_URL', defaultText: '(unset: the disclosure URL, if any)',
    description: 'security.txt Policy: the vulnerability disclosure policy.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'securityTxtAcknowledgmentsUrl', env: 'PARAPET_SECURITY_TXT_ACKNOWLEDGMENTS_URL', defaultText: '(unset)',
    description: 'security.txt Acknowledgments: the page thanking researchers.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'securityTxtCsafUrl', env: 'PARAPET_SECURITY_TXT_CSAF_URL', defaultText: '(unset: no CSAF field)',
    description: 'security.txt CSAF: the CSAF 2.0 provider metadata, e.g. https://<host>/.well-known/csaf/provider-metadata.json (CSAF 2.0 §7.1.8).',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'securityTxtEncryptionUrl', env: 'PARAPET_SECURITY_TXT_ENCRYPTION_URL', defaultText: '(unset)',
    description: 'security.txt Encryption: where the OpenPGP key for reports is published.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'securityTxtLanguages', env: 'PARAPET_SECURITY_TXT_LANGUAGES', defaultText: 'en',
    description: 'security.txt Preferred-Languages: comma-separated language tags.',
    parse: (raw) => list(raw).map((tag) => { if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) throw new OptionError('expected language tags such as en, de'); return tag; }), derive: () => ['en'],
  }),
  defineOption({
    key: 'securityPgpKeyFile', env: 'PARAPET_SECURITY_PGP_KEY_FILE', defaultText: '(unset: security.txt unsigned)',
    description: 'An armored OpenPGP private key file; security.txt is served cleartext-signed with it.',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'securityPgpPassphrase', env: 'PARAPET_SECURITY_PGP_PASSPHRASE', defaultText: '(unset)', secret: true,
    description: 'Passphrase of the security.txt signing key, if it has one.',
    parse: optional, derive: () => undefined,
  }),
] as const;
