/**
 * The catalogue of every configuration option: its environment variable, its key in the optional
 * JSON config file, its default, how it is parsed and whether it is a secret. `loadConfig` validates
 * against it, `parapet config check` prints from it, and the README's table is generated from it.
 */

import { ParapetError } from '../platform/errors.ts';
import { CidrError, parseCidrList } from '../platform/net/cidr.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** PEM certificate chain; with `tlsKeyFile`, Parapet serves HTTPS itself. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Plain-HTTP port answering every request with a 308 to the HTTPS public URL. */
  readonly httpRedirectPort: number | undefined;
  readonly hstsIncludeSubdomains: boolean;
  readonly publicUrl: string;
  readonly dataDir: string;
  /** `undefined` means embedded PGlite under `dataDir`; `memory:` is an in-memory PGlite. */
  readonly databaseUrl: string | undefined;
  readonly migrationDatabaseUrl: string | undefined;
  /** CA bundle (PEM) that verifies the PostgreSQL server's certificate; implies sslmode=verify-full. */
  readonly databaseCaFile: string | undefined;
  readonly keyringPath: string;
  /** Backup key file (ENC-5): wraps backup data keys and holds the per-tenant-key-version shred keys. */
  readonly backupKeysPath: string;
  /** PostgreSQL URL `backup create` reads with (a role that bypasses row-level security). */
  readonly backupDatabaseUrl: string | undefined;
  readonly logLevel: LogLevel;
  readonly trustProxy: boolean | string;
  readonly bodyLimit: number;
  readonly rateLimitPerMinute: number;
  readonly authRateLimitPerMinute: number;
  readonly passwordMinLength: number;
  readonly passwordMinScore: number;
  readonly stepUpMinutes: number;
  readonly lockoutThreshold: number;
  readonly lockoutMinutes: number;
  readonly sessionIdleMinutes: number;
  readonly sessionAbsoluteHours: number;
  readonly operatorSessionIdleMinutes: number;
  readonly operatorSessionAbsoluteHours: number;
  readonly metricsToken: string | undefined;
  readonly redisUrl: string | undefined;
  readonly auditApiSampling: number;
  readonly auditRetentionDays: number;
  readonly auditStreamAllowedNetworks: readonly string[];
  readonly jitMaxHours: number;
  readonly apiKeyMaxDays: number;
  readonly keyProvider: 'local' | 'aws-kms';
  readonly awsKmsKeyId: string | undefined;
  readonly awsKmsEndpoint: string | undefined;
  readonly awsRegion: string;
  readonly keyRotationDays: number;
  readonly keyMaxEncryptions: number;
  readonly keyCacheSeconds: number;
  readonly keyCacheUses: number;
  readonly tokenKeyRotationDays: number;
  /** Platform default retention per data type (DATA-1); types absent here use their built-in default. */
  readonly retentionDays: Readonly<Record<string, number>>;
  readonly retentionBatchSize: number;
  readonly deletionGraceDays: number;
  /** Unset: outgoing mail goes to the development outbox under `dataDir`. */
  readonly smtpHost: string | undefined;
  readonly smtpTls: 'starttls' | 'tls' | 'none';
  readonly smtpPort: number;
  readonly smtpUser: string | undefined;
  readonly smtpPassword: string | undefined;
  readonly smtpCaFile: string | undefined;
  readonly mailFrom: string;
  readonly invitationDays: number;
  readonly refreshTokenDays: number;
  readonly refreshReuseGraceSeconds: number;
  readonly refreshPerMinute: number;
  /** Connections in each node's request pool (PostgreSQL server only). */
  readonly databasePoolSize: number;
  /** A direct PostgreSQL URL for LISTEN when `databaseUrl` goes through a transaction pooler. */
  readonly databaseListenUrl: string | undefined;
  /** Starts every Redis key and the change-feed channel, so installations sharing a Redis never meet. */
  readonly redisPrefix: string;
  /** Who may create organizations: platform administrators only, or any signed-in user. */
  readonly organizationCreators: 'platform_admins' | 'any_user';
  /** Organizations one user (not a platform administrator) may have created and not yet deleted. */
  readonly organizationsPerUser: number;
  readonly headersTimeoutSeconds: number;
  readonly requestTimeoutSeconds: number;
  // Trust center and security.txt (module trust; docs/trust-center.md).
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
  /** security.txt Contact lines (mailto:, https: or tel: URIs); none: no security.txt is served. */
  readonly securityContacts: readonly string[];
  readonly securityTxtExpiresDays: number;
  readonly securityTxtPolicyUrl: string | undefined;
  readonly securityTxtAcknowledgmentsUrl: string | undefined;
  readonly securityTxtEncryptionUrl: string | undefined;
  readonly securityTxtLanguages: readonly string[];
  /** An armored OpenPGP private key that cleartext-signs security.txt. */
  readonly securityPgpKeyFile: string | undefined;
  readonly securityPgpPassphrase: string | undefined;
  /** DNS servers (`host:port`) the SSO module asks for domain-verification TXT records; empty: the system resolver. */
  readonly ssoDnsServers: readonly string[];
  /** Private networks OpenID back-channel logout URIs may be in (openid module, issue 17). */
  readonly oidcBackchannelAllowedNetworks: readonly string[];
  /** incidents: an organization whose administrators get an alert when an incident clock is overdue. */
  readonly incidentAlertOrganization: string | undefined;
}

export type ConfigKey = keyof Config;

export interface OptionSpec<K extends ConfigKey = ConfigKey> {
  readonly key: K;
  readonly env: string;
  readonly description: string;
  /** Human-readable default for docs; `derive` computes the real one. */
  readonly defaultText: string;
  readonly secret?: boolean;
  /** Parses a raw string (env) or JSON value (file). Throws `OptionError` with what is allowed. */
  readonly parse: (raw: unknown) => Config[K];
  /** Computes the default from options already parsed. */
  readonly derive: (partial: Partial<Config>) => Config[K];
}

/** Raised by an option parser; `loadConfig` adds the option's name. */
export class OptionError extends ParapetError {
  readonly code = 'invalid_option';
}

function asString(raw: unknown): string {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new OptionError('expected a string');
}

/** `host:port` entries (IPv4, or [IPv6]); the port defaults to 53. */
function dnsServerList(raw: unknown): readonly string[] {
  const entries = asString(raw).split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const entry of entries) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/.test(entry)) throw new OptionError(`"${entry.slice(0, 60)}" is not host:port with an IP address, e.g. 10.0.0.2:53`);
  }
  return entries;
}

function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const text = asString(raw);
    if (!/^\d+$/.test(text)) throw new OptionError(`expected a whole number from ${min} to ${max}`);
    const value = Number(text);
    if (value < min || value > max) throw new OptionError(`expected a whole number from ${min} to ${max}`);
    return value;
  };
}

function fraction(raw: unknown): number {
  const text = asString(raw);
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new OptionError('expected a number from 0 to 1');
  return value;
}

function cidrList(raw: unknown): readonly string[] {
  try {
    return parseCidrList(asString(raw));
  } catch (error) {
    if (error instanceof CidrError) throw new OptionError(`${error.message}: expected a comma-separated list of CIDR ranges, e.g. 10.20.0.0/16,fd00::/8`);
    throw error;
  }
}

/** `type=days,…` (e.g. `sessions=30,security_alerts=365`); the types and their bounds are checked at start. */
function retentionMap(raw: unknown): Readonly<Record<string, number>> {
  const text = asString(raw);
  const map: Record<string, number> = {};
  if (text === '') return Object.freeze(map);
  for (const part of text.split(',').map((p) => p.trim())) {
    const match = /^([a-z][a-z0-9_]{1,62})=(\d{1,5})$/.exec(part);
    if (match === null) throw new OptionError('expected comma-separated type=days pairs, e.g. sessions=30,security_alerts=365');
    map[match[1] ?? ''] = Number(match[2]);
  }
  return Object.freeze(map);
}

function nonEmpty(raw: unknown): string {
  const text = asString(raw);
  if (text === '') throw new OptionError('expected a non-empty string');
  return text;
}

function optional(raw: unknown): string | undefined {
  const text = asString(raw);
  return text === '' ? undefined : text;
}

/** sslmode values Parapet accepts (see src/platform/db/postgres-tls.ts); allow/prefer can be downgraded silently. */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

function databaseUrl(raw: unknown): string | undefined {
  const text = optional(raw);
  if (text === undefined || text === 'memory:') return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError('expected postgres://user[:password]@host[:port]/database, or memory:');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new OptionError('expected postgres://user[:password]@host[:port]/database, or memory:');
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new OptionError(`sslmode must be one of ${SSL_MODES.join(', ')} (allow and prefer fall back to plain text unnoticed)`);
  }
  return text;
}

function boolean(raw: unknown): boolean {
  const text = asString(raw).toLowerCase();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  throw new OptionError('expected true or false');
}

function httpUrl(raw: unknown): string {
  const text = nonEmpty(raw);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError('expected an absolute http:// or https:// URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new OptionError('expected an absolute http:// or https:// URL with no path, query or fragment');
  }
  return url.origin;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(raw: unknown): LogLevel {
  const text = asString(raw).toLowerCase();
  const found = LOG_LEVELS.find((level) => level === text);
  if (found === undefined) throw new OptionError(`expected one of ${LOG_LEVELS.join(', ')}`);
  return found;
}

function trustProxy(raw: unknown): boolean | string {
  const text = asString(raw);
  if (text === 'false' || text === '') return false;
  if (text === 'true') return true;
  try {
    return parseCidrList(text, { bareAddress: true }).join(',');
  } catch (error) {
    if (error instanceof CidrError) throw new OptionError(`${error.message}: expected false, true, or a comma-separated list of proxy IP addresses/CIDR ranges`);
    throw error;
  }
}

function organizationCreators(raw: unknown): 'platform_admins' | 'any_user' {
  const text = asString(raw).toLowerCase();
  if (text !== 'platform_admins' && text !== 'any_user') throw new OptionError('expected platform_admins or any_user');
  return text;
}

function hostname(raw: unknown): string {
  const text = nonEmpty(raw);
  if (!/^[A-Za-z0-9.:-]+$/.test(text)) throw new OptionError('expected an IP address or host name');
  return text;
}

function keyProvider(raw: unknown): 'local' | 'aws-kms' {
  const text = asString(raw).toLowerCase();
  if (text !== 'local' && text !== 'aws-kms') throw new OptionError('expected local or aws-kms');
  return text;
}

function optionalHttpUrl(raw: unknown): string | undefined {
  const text = optional(raw);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError('expected an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OptionError('expected an absolute http:// or https:// URL');
  return text;
}

function smtpTls(raw: unknown): 'starttls' | 'tls' | 'none' {
  const text = asString(raw).toLowerCase();
  if (text !== 'starttls' && text !== 'tls' && text !== 'none') throw new OptionError('expected starttls, tls or none');
  return text;
}

function mailbox(raw: unknown): string {
  const text = nonEmpty(raw);
  // One address, optionally with a display name; no line breaks (header injection).
  if (text.length > 320 || /[\r\n]/.test(text) || !/^(?:[^<>@]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(text)) throw new OptionError('expected an address, e.g. Parapet <security@example.com>');
  return text;
}

function define<K extends ConfigKey>(spec: OptionSpec<K>): OptionSpec<K> {
  return spec;
}

function isLoopback(host: string | undefined): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

export const OPTIONS = [
  define({
    key: 'host', env: 'PARAPET_HOST', defaultText: '127.0.0.1',
    description: 'Interface the HTTP server listens on.',
    parse: hostname, derive: () => '127.0.0.1',
  }),
  define({
    key: 'port', env: 'PARAPET_PORT', defaultText: '4000',
    description: 'TCP port of the HTTP server (0 picks a free port).',
    parse: integer(0, 65535), derive: () => 4000,
  }),
  define({
    key: 'tlsCertFile', env: 'PARAPET_TLS_CERT_FILE', defaultText: '(unset: plain HTTP)',
    description: 'PEM certificate chain (leaf first). With PARAPET_TLS_KEY_FILE, Parapet serves HTTPS itself (TLS 1.2/1.3, Mozilla intermediate ciphers); both files are reloaded when they change or on SIGHUP.',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'tlsKeyFile', env: 'PARAPET_TLS_KEY_FILE', defaultText: '(unset)',
    description: 'PEM private key of the certificate; refused at start-up if group or others can access the file (chmod 600).',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'httpRedirectPort', env: 'PARAPET_HTTP_REDIRECT_PORT', defaultText: '(unset: no plain-HTTP listener)',
    description: 'With TLS: a plain-HTTP port on the same host that answers every request with 308 to the HTTPS public URL and nothing else.',
    parse: integer(0, 65535), derive: () => undefined,
  }),
  define({
    key: 'hstsIncludeSubdomains', env: 'PARAPET_HSTS_INCLUDE_SUBDOMAINS', defaultText: 'false',
    description: 'Add includeSubDomains to the Strict-Transport-Security header (max-age=63072000) sent over HTTPS.',
    parse: boolean, derive: () => false,
  }),
  define({
    key: 'publicUrl', env: 'PARAPET_PUBLIC_URL', defaultText: 'http(s)://<host>:<port>',
    description: 'Origin users reach Parapet at; used in links and for the Origin check on unsafe requests. Must be https:// when TLS is configured.',
    parse: httpUrl,
    derive: (c) => {
      const host = c.host ?? '127.0.0.1';
      return `${c.tlsCertFile === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${c.port ?? 4000}`;
    },
  }),
  define({
    key: 'dataDir', env: 'PARAPET_DATA_DIR', defaultText: './.parapet',
    description: 'Folder for embedded PGlite data, the local keyring and the development outbox.',
    parse: nonEmpty, derive: () => './.parapet',
  }),
  define({
    key: 'databaseUrl', env: 'PARAPET_DATABASE_URL', defaultText: '(embedded PGlite in <dataDir>/pgdata)', secret: true,
    description: 'PostgreSQL URL the application connects with (as parapet_app), or memory: for a throwaway PGlite.',
    parse: databaseUrl, derive: () => undefined,
  }),
  define({
    key: 'migrationDatabaseUrl', env: 'PARAPET_MIGRATION_DATABASE_URL', defaultText: '(PARAPET_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL migrations run with (as parapet_owner). `doctor` warns when it is not set.',
    parse: databaseUrl, derive: () => undefined,
  }),
  define({
    key: 'databaseCaFile', env: 'PARAPET_DATABASE_CA_FILE', defaultText: '(unset)',
    description: 'PEM CA bundle that signs the PostgreSQL server certificate. Set, it makes sslmode=verify-full the default for both database URLs (an sslrootcert in a URL wins).',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'keyringPath', env: 'PARAPET_KEYRING', defaultText: '<dataDir>/keyring.json',
    description: 'Local keyring file (created on first start with mode 0600, never overwritten).',
    parse: nonEmpty, derive: (c) => `${c.dataDir ?? './.parapet'}/keyring.json`,
  }),
  define({
    key: 'backupKeysPath', env: 'PARAPET_BACKUP_KEYS', defaultText: '<dataDir>/backup-keys.json',
    description: 'Backup key file (created by the first `backup create`, mode 0600): wraps backup data keys, separate from the keyring. Keep a copy apart from the backups.',
    parse: nonEmpty, derive: (c) => `${c.dataDir ?? './.parapet'}/backup-keys.json`,
  }),
  define({
    key: 'backupDatabaseUrl', env: 'PARAPET_BACKUP_DATABASE_URL', defaultText: '(PARAPET_MIGRATION_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL `parapet backup create` reads with: a superuser or a role with BYPASSRLS, so no row is hidden from the backup.',
    parse: databaseUrl, derive: () => undefined,
  }),
  define({
    key: 'logLevel', env: 'PARAPET_LOG_LEVEL', defaultText: 'info',
    description: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
    parse: logLevel, derive: () => 'info' as const,
  }),
  define({
    key: 'trustProxy', env: 'PARAPET_TRUST_PROXY', defaultText: 'false',
    description: 'Trust X-Forwarded-* headers: false, true, or a list of proxy addresses/CIDRs.',
    parse: trustProxy, derive: () => false,
  }),
  define({
    key: 'bodyLimit', env: 'PARAPET_BODY_LIMIT', defaultText: '102400',
    description: 'Largest accepted request body in bytes.',
    parse: integer(1024, 16 * 1024 * 1024), derive: () => 102_400,
  }),
  define({
    key: 'rateLimitPerMinute', env: 'PARAPET_RATE_LIMIT', defaultText: '1200',
    description: 'Requests per minute accepted from one client IP across all routes.',
    parse: integer(1, 1_000_000), derive: () => 1200,
  }),
  define({
    key: 'authRateLimitPerMinute', env: 'PARAPET_AUTH_RATE_LIMIT', defaultText: '30',
    description: 'Requests per minute accepted from one client IP on authentication routes (login, setup).',
    parse: integer(1, 100_000), derive: () => 30,
  }),
  define({
    key: 'passwordMinLength', env: 'PARAPET_PASSWORD_MIN_LENGTH', defaultText: '12',
    description: 'Shortest accepted password (8 to 64 characters; NIST SP 800-63B allows no less than 8).',
    parse: integer(8, 64), derive: () => 12,
  }),
  define({
    key: 'passwordMinScore', env: 'PARAPET_PASSWORD_MIN_SCORE', defaultText: '3',
    description: 'zxcvbn strength score (0 to 4) a new password needs; 0 only shows the estimate and refuses nothing.',
    parse: integer(0, 4), derive: () => 3,
  }),
  define({
    key: 'stepUpMinutes', env: 'PARAPET_STEP_UP_MINUTES', defaultText: '10',
    description: 'Sensitive actions (changing MFA factors, policy, API keys) need a sign-in or re-authentication within this many minutes (1 to 60).',
    parse: integer(1, 60), derive: () => 10,
  }),
  define({
    key: 'lockoutThreshold', env: 'PARAPET_LOCKOUT_THRESHOLD', defaultText: '10',
    description: 'Failed sign-ins in a row after which an account is locked for PARAPET_LOCKOUT_MINUTES (1 to 100; NIST SP 800-63B allows no more than 100).',
    parse: integer(1, 100), derive: () => 10,
  }),
  define({
    key: 'lockoutMinutes', env: 'PARAPET_LOCKOUT_MINUTES', defaultText: '15',
    description: 'How long a locked account refuses sign-in, even with the right password.',
    parse: integer(1, 24 * 60), derive: () => 15,
  }),
  define({
    key: 'sessionIdleMinutes', env: 'PARAPET_SESSION_IDLE_MINUTES', defaultText: '30',
    description: 'Organization members: a console session ends after this long without use.',
    parse: integer(1, 24 * 60), derive: () => 30,
  }),
  define({
    key: 'sessionAbsoluteHours', env: 'PARAPET_SESSION_ABSOLUTE_HOURS', defaultText: '12',
    description: 'Organization members: a console session ends this long after sign-in, used or not.',
    parse: integer(1, 30 * 24), derive: () => 12,
  }),
  define({
    key: 'operatorSessionIdleMinutes', env: 'PARAPET_OPERATOR_SESSION_IDLE_MINUTES', defaultText: '15',
    description: 'Platform administrators: idle timeout of a console session.',
    parse: integer(1, 24 * 60), derive: () => 15,
  }),
  define({
    key: 'operatorSessionAbsoluteHours', env: 'PARAPET_OPERATOR_SESSION_ABSOLUTE_HOURS', defaultText: '4',
    description: 'Platform administrators: absolute lifetime of a console session.',
    parse: integer(1, 30 * 24), derive: () => 4,
  }),
  define({
    key: 'metricsToken', env: 'PARAPET_METRICS_TOKEN', defaultText: '(unset: /metrics answers loopback clients only)', secret: true,
    description: 'Bearer token that grants access to /metrics from any address.',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'redisUrl', env: 'PARAPET_REDIS_URL', defaultText: '(unset)', secret: true,
    description: 'Redis URL for per-IP rate limits and sign-in counters shared by all nodes, and revocation fan-out.',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'auditApiSampling', env: 'PARAPET_AUDIT_API_SAMPLING', defaultText: '1',
    description: 'Share of API calls recorded as `api.request` audit events (1 = every call; authentication and administrative events are always recorded).',
    parse: fraction, derive: () => 1,
  }),
  define({
    key: 'auditRetentionDays', env: 'PARAPET_AUDIT_RETENTION_DAYS', defaultText: '400',
    description: 'Platform default audit retention in days (about 13 months); organizations may choose 90 days to 7 years.',
    parse: integer(7, 3660), derive: () => 400,
  }),
  define({
    key: 'auditStreamAllowedNetworks', env: 'PARAPET_AUDIT_STREAM_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) audit stream destinations may be in; other private, loopback and metadata addresses are refused.',
    parse: cidrList, derive: () => [],
  }),
  define({
    key: 'jitMaxHours', env: 'PARAPET_JIT_MAX_HOURS', defaultText: '4',
    description: 'Longest just-in-time access grant a user may request, in hours (1 to 168); break-glass access is capped at 1 hour regardless.',
    parse: integer(1, 168), derive: () => 4,
  }),
  define({
    key: 'apiKeyMaxDays', env: 'PARAPET_API_KEY_MAX_DAYS', defaultText: '365',
    description: 'The longest lifetime, in days, an API key may be created with (keys default to 90 days and are flagged for rotation at that age).',
    parse: integer(1, 3650), derive: () => 365,
  }),
  define({
    key: 'keyProvider', env: 'PARAPET_KEY_PROVIDER', defaultText: 'local',
    description: 'Where the root key that wraps tenant keys lives: local (the keyring file) or aws-kms.',
    parse: keyProvider, derive: () => 'local' as const,
  }),
  define({
    key: 'awsKmsKeyId', env: 'PARAPET_AWS_KMS_KEY_ID', defaultText: '(unset; required with aws-kms)',
    description: 'Key id, ARN or alias of the symmetric AWS KMS key (credentials come from the standard AWS_* environment, profile or instance role).',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'awsKmsEndpoint', env: 'PARAPET_AWS_KMS_ENDPOINT', defaultText: "(unset: AWS's endpoint for the region)",
    description: 'A KMS-compatible endpoint URL (a VPC endpoint, or moto_server in tests).',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  define({
    key: 'awsRegion', env: 'PARAPET_AWS_REGION', defaultText: 'us-east-1',
    description: 'AWS region of the KMS key.',
    parse: nonEmpty, derive: () => 'us-east-1',
  }),
  define({
    key: 'keyRotationDays', env: 'PARAPET_KEY_ROTATION_DAYS', defaultText: '90',
    description: 'Tenant keys rotate automatically once their primary version is this old (0 turns scheduled rotation off).',
    parse: integer(0, 3660), derive: () => 90,
  }),
  define({
    key: 'keyMaxEncryptions', env: 'PARAPET_KEY_MAX_ENCRYPTIONS', defaultText: '4294967296',
    description: 'Values one tenant key version may encrypt (random 96-bit nonces: at most 2^32); a new version takes over at the limit.',
    parse: integer(1, 2 ** 32), derive: () => 2 ** 32,
  }),
  define({
    key: 'keyCacheSeconds', env: 'PARAPET_KEY_CACHE_SECONDS', defaultText: '300',
    description: 'How long an unwrapped tenant key stays in memory (also how long other nodes may still use a rotated-out version).',
    parse: integer(1, 86_400), derive: () => 300,
  }),
  define({
    key: 'keyCacheUses', env: 'PARAPET_KEY_CACHE_USES', defaultText: '1000000',
    description: 'Encryptions and decryptions after which an unwrapped tenant key is dropped from memory and unwrapped again.',
    parse: integer(1, 1_000_000_000), derive: () => 1_000_000,
  }),
  define({
    key: 'tokenKeyRotationDays', env: 'PARAPET_TOKEN_KEY_ROTATION_DAYS', defaultText: '30',
    description: 'Access-token signing keys rotate every this many days (derived from the keyring; the JWKS publishes the previous, current and next key).',
    parse: integer(1, 365), derive: () => 30,
  }),
  define({
    key: 'retentionDays', env: 'PARAPET_RETENTION_DAYS', defaultText: '(each type\'s default)',
    description: 'Platform default retention per data type as type=days pairs (docs/data-lifecycle.md lists the types and their bounds); organizations may override tenant types within the bounds.',
    parse: retentionMap, derive: () => Object.freeze({}),
  }),
  define({
    key: 'retentionBatchSize', env: 'PARAPET_RETENTION_BATCH_SIZE', defaultText: '1000',
    description: 'Rows the retention and deletion purges remove per statement (each batch is its own short transaction).',
    parse: integer(1, 100_000), derive: () => 1000,
  }),
  define({
    key: 'deletionGraceDays', env: 'PARAPET_DELETION_GRACE_DAYS', defaultText: '14',
    description: 'Grace period between a request to delete an account or organization and its purge; it can be cancelled until then.',
    parse: integer(1, 90), derive: () => 14,
  }),
  define({
    key: 'smtpHost', env: 'PARAPET_SMTP_HOST', defaultText: '(unset: mail goes to the development outbox, printed by `parapet mail outbox`)',
    description: 'SMTP server that sends invitations, verification and password-reset mail.',
    parse: (raw) => (optional(raw) === undefined ? undefined : hostname(raw)), derive: () => undefined,
  }),
  define({
    key: 'smtpTls', env: 'PARAPET_SMTP_TLS', defaultText: 'starttls',
    description: 'starttls (upgrade required, never plain-text fallback), tls (TLS from the first byte, port 465) or none (loopback hosts only). The certificate is always verified.',
    parse: smtpTls, derive: () => 'starttls' as const,
  }),
  define({
    key: 'smtpPort', env: 'PARAPET_SMTP_PORT', defaultText: '587 (465 with tls)',
    description: 'SMTP server port.',
    parse: integer(1, 65535), derive: (c) => (c.smtpTls === 'tls' ? 465 : 587),
  }),
  define({
    key: 'smtpUser', env: 'PARAPET_SMTP_USER', defaultText: '(unset: no authentication)',
    description: 'SMTP user name.',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'smtpPassword', env: 'PARAPET_SMTP_PASSWORD', defaultText: '(unset)', secret: true,
    description: 'SMTP password (sent only over TLS unless PARAPET_SMTP_TLS is none).',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'smtpCaFile', env: 'PARAPET_SMTP_CA_FILE', defaultText: '(unset: system CAs)',
    description: 'PEM CA bundle that signs the SMTP server certificate (a private relay).',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'mailFrom', env: 'PARAPET_MAIL_FROM', defaultText: 'Parapet <parapet@<public URL host>>',
    description: 'Sender address of outgoing mail.',
    parse: mailbox, derive: (c) => `Parapet <parapet@${new URL(c.publicUrl ?? 'http://localhost').hostname.replace(/^\[|\]$/g, '')}>`,
  }),
  define({
    key: 'invitationDays', env: 'PARAPET_INVITATION_DAYS', defaultText: '7',
    description: 'How long an invitation link to an organization stays valid, in days (1 to 30).',
    parse: integer(1, 30), derive: () => 7,
  }),
  define({
    key: 'refreshTokenDays', env: 'PARAPET_REFRESH_TOKEN_DAYS', defaultText: '7',
    description: 'API clients: a refresh-token family (and its session) ends this many days after sign-in, however often it is rotated.',
    parse: integer(1, 90), derive: () => 7,
  }),
  define({
    key: 'refreshReuseGraceSeconds', env: 'PARAPET_REFRESH_REUSE_GRACE_SECONDS', defaultText: '10',
    description: 'A refresh token presented again this soon after its rotation gets the same successor (a concurrent double refresh); later, reuse revokes its whole family.',
    parse: integer(0, 60), derive: () => 10,
  }),
  define({
    key: 'refreshPerMinute', env: 'PARAPET_REFRESH_PER_MINUTE', defaultText: '10',
    description: 'Refreshes one refresh-token family may make per minute, on all nodes together.',
    parse: integer(1, 1000), derive: () => 10,
  }),
  define({
    key: 'databasePoolSize', env: 'PARAPET_DATABASE_POOL_SIZE', defaultText: '10',
    description: 'Connections each node keeps in its request pool (PostgreSQL server). Every node also holds one LISTEN and up to four background-job connections; keep nodes × (pool + 5) under the server\'s max_connections.',
    parse: integer(1, 1000), derive: () => 10,
  }),
  define({
    key: 'databaseListenUrl', env: 'PARAPET_DATABASE_LISTEN_URL', defaultText: '(PARAPET_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL (as parapet_app) for the change feed\'s LISTEN and the background jobs\' advisory locks, which need a session of their own: set it to a direct connection when PARAPET_DATABASE_URL goes through a transaction-pooling proxy such as PgBouncer.',
    parse: databaseUrl, derive: () => undefined,
  }),
  define({
    key: 'redisPrefix', env: 'PARAPET_REDIS_PREFIX', defaultText: 'parapet:<database name>:',
    description: 'Start of every Redis key and of the change-feed channel. Nodes of one installation share it; installations sharing a Redis need different ones (the default differs when their database names do).',
    parse: redisPrefix, derive: (c) => `parapet:${databaseName(c.databaseUrl)}:`,
  }),
  define({
    key: 'organizationCreators', env: 'PARAPET_ORGANIZATION_CREATORS', defaultText: 'platform_admins',
    description: 'Who may create organizations: platform_admins, or any_user (any signed-in user, up to PARAPET_ORGANIZATIONS_PER_USER).',
    parse: organizationCreators, derive: () => 'platform_admins' as const,
  }),
  define({
    key: 'organizationsPerUser', env: 'PARAPET_ORGANIZATIONS_PER_USER', defaultText: '10',
    description: 'Organizations one user may have created (and not yet deleted); platform administrators are not limited.',
    parse: integer(1, 10_000), derive: () => 10,
  }),
  define({
    key: 'headersTimeoutSeconds', env: 'PARAPET_HEADERS_TIMEOUT_SECONDS', defaultText: '10',
    description: 'A connection whose request headers have not all arrived this long after the request began is answered 408 and closed.',
    parse: integer(1, 300), derive: () => 10,
  }),
  define({
    key: 'requestTimeoutSeconds', env: 'PARAPET_REQUEST_TIMEOUT_SECONDS', defaultText: '30',
    description: 'A request not fully received (headers and body) this long after it began is answered 408 and closed.',
    parse: integer(1, 3600), derive: () => 30,
  }),
  // Trust center and security.txt (module trust; docs/trust-center.md).
  define({
    key: 'trustName', env: 'PARAPET_TRUST_NAME', defaultText: 'Parapet',
    description: 'The company name shown on the public trust center (/trust).',
    parse: (raw) => { const text = nonEmpty(raw); if (text.length > 100) throw new OptionError('expected at most 100 characters'); return text; }, derive: () => 'Parapet',
  }),
  define({
    key: 'trustLogoUrl', env: 'PARAPET_TRUST_LOGO_URL', defaultText: '(unset: no logo)',
    description: 'Logo image on the trust center: a path on this server (e.g. /assets/logo.svg) or an https:// URL allowed by the CSP.',
    parse: trustLink, derive: () => undefined,
  }),
  define({
    key: 'trustAccentColor', env: 'PARAPET_TRUST_ACCENT_COLOR', defaultText: '#1f4e8c',
    description: 'Accent colour of the trust center, #rrggbb.',
    parse: (raw) => { const text = asString(raw).toLowerCase(); if (!/^#[0-9a-f]{6}$/.test(text)) throw new OptionError('expected a colour as #rrggbb'); return text; }, derive: () => '#1f4e8c',
  }),
  define({
    key: 'trustStatusUrl', env: 'PARAPET_TRUST_STATUS_URL', defaultText: '(unset: no link)',
    description: 'The status page the trust center links to (e.g. /status); unset, no link is shown.',
    parse: trustLink, derive: () => undefined,
  }),
  define({
    key: 'trustDisclosureUrl', env: 'PARAPET_TRUST_DISCLOSURE_URL', defaultText: '(unset: no link)',
    description: 'The vulnerability disclosure policy the trust center links to (e.g. /security/disclosure); unset, no link is shown.',
    parse: trustLink, derive: () => undefined,
  }),
  define({
    key: 'trustCheckIntervalMinutes', env: 'PARAPET_TRUST_CHECK_INTERVAL_MINUTES', defaultText: '15',
    description: 'How often the trust center re-runs its live control checks (TR-4).',
    parse: integer(1, 1440), derive: () => 15,
  }),
  define({
    key: 'trustAlertOrganization', env: 'PARAPET_TRUST_ALERT_ORGANIZATION', defaultText: '(unset: failures are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when a trust check starts failing.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
  define({
    key: 'securityContacts', env: 'PARAPET_SECURITY_CONTACTS', defaultText: '(unset: no security.txt)',
    description: 'Comma-separated security.txt Contact URIs (mailto:, https: or tel:), in order of preference (RFC 9116 §2.5.3).',
    parse: (raw) => list(raw).map((uri) => { if (!/^(mailto:[^\s@,]+@[^\s@,]+|https:\/\/[^\s,]+|tel:\+?[0-9-]+)$/.test(uri)) throw new OptionError('expected mailto:, https:// or tel: URIs'); return uri; }), derive: () => [],
  }),
  define({
    key: 'securityTxtExpiresDays', env: 'PARAPET_SECURITY_TXT_EXPIRES_DAYS', defaultText: '180',
    description: 'security.txt Expires is this many days after it is rendered (RFC 9116 recommends less than a year).',
    parse: integer(1, 365), derive: () => 180,
  }),
  define({
    key: 'securityTxtPolicyUrl', env: 'PARAPET_SECURITY_TXT_POLICY_URL', defaultText: '(unset: the disclosure URL, if any)',
    description: 'security.txt Policy: the vulnerability disclosure policy.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  define({
    key: 'securityTxtAcknowledgmentsUrl', env: 'PARAPET_SECURITY_TXT_ACKNOWLEDGMENTS_URL', defaultText: '(unset)',
    description: 'security.txt Acknowledgments: the page thanking researchers.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  define({
    key: 'securityTxtEncryptionUrl', env: 'PARAPET_SECURITY_TXT_ENCRYPTION_URL', defaultText: '(unset)',
    description: 'security.txt Encryption: where the OpenPGP key for reports is published.',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  define({
    key: 'securityTxtLanguages', env: 'PARAPET_SECURITY_TXT_LANGUAGES', defaultText: 'en',
    description: 'security.txt Preferred-Languages: comma-separated language tags.',
    parse: (raw) => list(raw).map((tag) => { if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) throw new OptionError('expected language tags such as en, de'); return tag; }), derive: () => ['en'],
  }),
  define({
    key: 'securityPgpKeyFile', env: 'PARAPET_SECURITY_PGP_KEY_FILE', defaultText: '(unset: security.txt unsigned)',
    description: 'An armored OpenPGP private key file; security.txt is served cleartext-signed with it.',
    parse: optional, derive: () => undefined,
  }),
  define({
    key: 'securityPgpPassphrase', env: 'PARAPET_SECURITY_PGP_PASSPHRASE', defaultText: '(unset)', secret: true,
    description: 'Passphrase of the security.txt signing key, if it has one.',
    parse: optional, derive: () => undefined,
  }),
  // sso module (issue 18)
  define({
    key: 'ssoDnsServers', env: 'PARAPET_SSO_DNS_SERVERS', defaultText: '(the system resolver)',
    description: 'DNS servers (comma-separated host:port, e.g. 10.0.0.2:53) asked for SSO domain-verification TXT records.',
    parse: dnsServerList, derive: () => [],
  }),
  // openid module (issue 17): back-channel logout delivery and client jwks_uri fetches.
  define({
    key: 'oidcBackchannelAllowedNetworks', env: 'PARAPET_OIDC_BACKCHANNEL_ALLOWED_NETWORKS', defaultText: '(none)',
    description: 'Private networks (comma-separated CIDRs) OpenID back-channel logout URIs and applications\' jwks_uri may be in; other private, loopback and metadata addresses are refused.',
    parse: cidrList, derive: () => [],
  }),
  define({
    key: 'incidentAlertOrganization', env: 'PARAPET_INCIDENT_ALERT_ORGANIZATION', defaultText: '(unset: overdue clocks are logged and audited only)',
    description: 'Organization id whose administrators get a security alert when an incident clock (customer notice, GDPR, NIS2, post-incident report) is overdue.',
    parse: (raw) => { const text = optional(raw); if (text !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) throw new OptionError('expected an organization id (UUID)'); return text?.toLowerCase(); }, derive: () => undefined,
  }),
] as const;

/** Comma-separated values, trimmed, empties dropped. */
function list(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(asString).filter((x) => x !== '');
  return asString(raw).split(',').map((x) => x.trim()).filter((x) => x !== '');
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

/** Letters, digits and `: _ - . /`, up to 100: printable in Redis tools, no glob characters. */
function redisPrefix(raw: unknown): string {
  const text = asString(raw);
  if (!/^[A-Za-z0-9:_\-./]{1,100}$/.test(text)) throw new OptionError('expected 1 to 100 letters, digits or : _ - . /');
  return text;
}

/** The database a URL names (libpq's default is the user name); `embedded` for PGlite. */
function databaseName(url: string | undefined): string {
  if (url === undefined || url === 'memory:') return 'embedded';
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
  return name.replace(/[^A-Za-z0-9_\-.]/g, '_');
}

export { isLoopback };

/** Checks that involve several options; each problem names the options. */
export function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  if (config.keyProvider === 'aws-kms' && config.awsKmsKeyId === undefined) {
    problems.push('PARAPET_AWS_KMS_KEY_ID: required when PARAPET_KEY_PROVIDER is aws-kms');
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    problems.push('PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE must be set together');
  }
  if (config.tlsCertFile !== undefined && !config.publicUrl.startsWith('https://')) {
    problems.push(`PARAPET_PUBLIC_URL: "${config.publicUrl}" must be an https:// URL when PARAPET_TLS_CERT_FILE is set`);
  }
  if (config.httpRedirectPort !== undefined && config.tlsCertFile === undefined) {
    problems.push('PARAPET_HTTP_REDIRECT_PORT needs PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE (it redirects to the HTTPS listener)');
  }
  if (config.httpRedirectPort !== undefined && config.httpRedirectPort !== 0 && config.httpRedirectPort === config.port) {
    problems.push('PARAPET_HTTP_REDIRECT_PORT must differ from PARAPET_PORT');
  }
  if (config.smtpHost !== undefined && config.smtpTls === 'none' && !isLoopback(config.smtpHost)) {
    problems.push(`PARAPET_SMTP_TLS: none is allowed only for a loopback PARAPET_SMTP_HOST, not "${config.smtpHost}"`);
  }
  if (config.smtpPassword !== undefined && config.smtpUser === undefined) {
    problems.push('PARAPET_SMTP_PASSWORD needs PARAPET_SMTP_USER');
  }
  if (config.headersTimeoutSeconds > config.requestTimeoutSeconds) {
    problems.push('PARAPET_HEADERS_TIMEOUT_SECONDS must not exceed PARAPET_REQUEST_TIMEOUT_SECONDS');
  }
  return problems;
}
