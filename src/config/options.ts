/**
 * Configuration options: the platform's own here, each module's in its `options.ts` (named in its
 * manifest). An option is its environment variable, its key in the optional JSON config file, its
 * default, how it is parsed and whether it is a secret. `allOptions()` (catalogue.ts) is the whole
 * list: `loadConfig` validates against it, `parapet config check` prints from it, and the README's
 * table is generated from it. `Config` is the platform's fields plus each module's, added to this
 * interface by declaration merging in the module's `options.ts`.
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
  readonly jobsDatabaseUrl: string | undefined;
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
  readonly metricsToken: string | undefined;
  readonly redisUrl: string | undefined;
  readonly keyProvider: 'local' | 'aws-kms';
  readonly awsKmsKeyId: string | undefined;
  readonly awsKmsEndpoint: string | undefined;
  readonly awsRegion: string;
  /** Unset: outgoing mail goes to the development outbox under `dataDir`. */
  readonly smtpHost: string | undefined;
  readonly smtpTls: 'starttls' | 'tls' | 'none';
  readonly smtpPort: number;
  readonly smtpUser: string | undefined;
  readonly smtpPassword: string | undefined;
  readonly smtpCaFile: string | undefined;
  readonly mailFrom: string;
  /** Connections in each node's request pool (PostgreSQL server only). */
  readonly databasePoolSize: number;
  /** A direct PostgreSQL URL for LISTEN when `databaseUrl` goes through a transaction pooler. */
  readonly databaseListenUrl: string | undefined;
  /** Starts every Redis key and the change-feed channel, so installations sharing a Redis never meet. */
  readonly redisPrefix: string;
  readonly headersTimeoutSeconds: number;
  readonly requestTimeoutSeconds: number;
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

export function asString(raw: unknown): string {
  if (typeof raw === 'string') return raw.trim();
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new OptionError('expected a string');
}


export function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const text = asString(raw);
    if (!/^\d+$/.test(text)) throw new OptionError(`expected a whole number from ${min} to ${max}`);
    const value = Number(text);
    if (value < min || value > max) throw new OptionError(`expected a whole number from ${min} to ${max}`);
    return value;
  };
}

export function fraction(raw: unknown): number {
  const text = asString(raw);
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new OptionError('expected a number from 0 to 1');
  return value;
}

export function cidrList(raw: unknown): readonly string[] {
  try {
    return parseCidrList(asString(raw));
  } catch (error) {
    if (error instanceof CidrError) throw new OptionError(`${error.message}: expected a comma-separated list of CIDR ranges, e.g. 10.20.0.0/16,fd00::/8`);
    throw error;
  }
}


export function nonEmpty(raw: unknown): string {
  const text = asString(raw);
  if (text === '') throw new OptionError('expected a non-empty string');
  return text;
}

export function optional(raw: unknown): string | undefined {
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

export function boolean(raw: unknown): boolean {
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

export function optionalHttpUrl(raw: unknown): string | undefined {
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

/** Types one option (a module declares its own in its `options.ts`, named in its manifest). */
export function defineOption<K extends ConfigKey>(spec: OptionSpec<K>): OptionSpec<K> {
  return spec;
}

function isLoopback(host: string | undefined): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/** The platform's own options (server, database, keys, mail, Redis); each module declares its own in its `options.ts`. */
export const PLATFORM_OPTIONS = [
  defineOption({
    key: 'host', env: 'PARAPET_HOST', defaultText: '127.0.0.1',
    description: 'Interface the HTTP server listens on.',
    parse: hostname, derive: () => '127.0.0.1',
  }),
  defineOption({
    key: 'port', env: 'PARAPET_PORT', defaultText: '4000',
    description: 'TCP port of the HTTP server (0 picks a free port).',
    parse: integer(0, 65535), derive: () => 4000,
  }),
  defineOption({
    key: 'tlsCertFile', env: 'PARAPET_TLS_CERT_FILE', defaultText: '(unset: plain HTTP)',
    description: 'PEM certificate chain (leaf first). With PARAPET_TLS_KEY_FILE, Parapet serves HTTPS itself (TLS 1.2/1.3, Mozilla intermediate ciphers); both files are reloaded when they change or on SIGHUP.',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'tlsKeyFile', env: 'PARAPET_TLS_KEY_FILE', defaultText: '(unset)',
    description: 'PEM private key of the certificate; refused at start-up if group or others can access the file (chmod 600).',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'httpRedirectPort', env: 'PARAPET_HTTP_REDIRECT_PORT', defaultText: '(unset: no plain-HTTP listener)',
    description: 'With TLS: a plain-HTTP port on the same host that answers every request with 308 to the HTTPS public URL and nothing else.',
    parse: integer(0, 65535), derive: () => undefined,
  }),
  defineOption({
    key: 'hstsIncludeSubdomains', env: 'PARAPET_HSTS_INCLUDE_SUBDOMAINS', defaultText: 'false',
    description: 'Add includeSubDomains to the Strict-Transport-Security header (max-age=63072000) sent over HTTPS.',
    parse: boolean, derive: () => false,
  }),
  defineOption({
    key: 'publicUrl', env: 'PARAPET_PUBLIC_URL', defaultText: 'http(s)://<host>:<port>',
    description: 'Origin users reach Parapet at; used in links and for the Origin check on unsafe requests. Must be https:// when TLS is configured.',
    parse: httpUrl,
    derive: (c) => {
      const host = c.host ?? '127.0.0.1';
      return `${c.tlsCertFile === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${c.port ?? 4000}`;
    },
  }),
  defineOption({
    key: 'dataDir', env: 'PARAPET_DATA_DIR', defaultText: './.parapet',
    description: 'Folder for embedded PGlite data, the local keyring and the development outbox.',
    parse: nonEmpty, derive: () => './.parapet',
  }),
  defineOption({
    key: 'databaseUrl', env: 'PARAPET_DATABASE_URL', defaultText: '(embedded PGlite in <dataDir>/pgdata)', secret: true,
    description: 'PostgreSQL URL the application connects with (as parapet_app), or memory: for a throwaway PGlite.',
    parse: databaseUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'migrationDatabaseUrl', env: 'PARAPET_MIGRATION_DATABASE_URL', defaultText: '(PARAPET_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL migrations run with (as parapet_owner). `doctor` warns when it is not set.',
    parse: databaseUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'jobsDatabaseUrl', env: 'PARAPET_JOBS_DATABASE_URL', defaultText: '(PARAPET_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL background jobs list tenants with (as parapet_jobs, a login requests never use; issue 13). Set, `serve` and `migrate` record that the tenant-listing functions answer only on this login; unset, jobs share the request login.',
    parse: databaseUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'databaseCaFile', env: 'PARAPET_DATABASE_CA_FILE', defaultText: '(unset)',
    description: 'PEM CA bundle that signs the PostgreSQL server certificate. Set, it makes sslmode=verify-full the default for both database URLs (an sslrootcert in a URL wins).',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'keyringPath', env: 'PARAPET_KEYRING', defaultText: '<dataDir>/keyring.json',
    description: 'Local keyring file (created on first start with mode 0600, never overwritten).',
    parse: nonEmpty, derive: (c) => `${c.dataDir ?? './.parapet'}/keyring.json`,
  }),
  defineOption({
    key: 'backupKeysPath', env: 'PARAPET_BACKUP_KEYS', defaultText: '<dataDir>/backup-keys.json',
    description: 'Backup key file (created by the first `backup create`, mode 0600): wraps backup data keys, separate from the keyring. Keep a copy apart from the backups.',
    parse: nonEmpty, derive: (c) => `${c.dataDir ?? './.parapet'}/backup-keys.json`,
  }),
  defineOption({
    key: 'backupDatabaseUrl', env: 'PARAPET_BACKUP_DATABASE_URL', defaultText: '(PARAPET_MIGRATION_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL `parapet backup create` reads with: a superuser or a role with BYPASSRLS, so no row is hidden from the backup.',
    parse: databaseUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'logLevel', env: 'PARAPET_LOG_LEVEL', defaultText: 'info',
    description: 'pino log level: fatal, error, warn, info, debug, trace or silent.',
    parse: logLevel, derive: () => 'info' as const,
  }),
  defineOption({
    key: 'trustProxy', env: 'PARAPET_TRUST_PROXY', defaultText: 'false',
    description: 'Trust X-Forwarded-* headers: false, true, or a list of proxy addresses/CIDRs.',
    parse: trustProxy, derive: () => false,
  }),
  defineOption({
    key: 'bodyLimit', env: 'PARAPET_BODY_LIMIT', defaultText: '102400',
    description: 'Largest accepted request body in bytes.',
    parse: integer(1024, 16 * 1024 * 1024), derive: () => 102_400,
  }),
  defineOption({
    key: 'rateLimitPerMinute', env: 'PARAPET_RATE_LIMIT', defaultText: '1200',
    description: 'Requests per minute accepted from one client IP across all routes.',
    parse: integer(1, 1_000_000), derive: () => 1200,
  }),
  defineOption({
    key: 'authRateLimitPerMinute', env: 'PARAPET_AUTH_RATE_LIMIT', defaultText: '30',
    description: 'Requests per minute accepted from one client IP on authentication routes (login, setup).',
    parse: integer(1, 100_000), derive: () => 30,
  }),
  defineOption({
    key: 'metricsToken', env: 'PARAPET_METRICS_TOKEN', defaultText: '(unset: /metrics answers loopback clients only)', secret: true,
    description: 'Bearer token that grants access to /metrics from any address.',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'redisUrl', env: 'PARAPET_REDIS_URL', defaultText: '(unset)', secret: true,
    description: 'Redis URL for per-IP rate limits and sign-in counters shared by all nodes, and revocation fan-out.',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'keyProvider', env: 'PARAPET_KEY_PROVIDER', defaultText: 'local',
    description: 'Where the root key that wraps tenant keys lives: local (the keyring file) or aws-kms.',
    parse: keyProvider, derive: () => 'local' as const,
  }),
  defineOption({
    key: 'awsKmsKeyId', env: 'PARAPET_AWS_KMS_KEY_ID', defaultText: '(unset; required with aws-kms)',
    description: 'Key id, ARN or alias of the symmetric AWS KMS key (credentials come from the standard AWS_* environment, profile or instance role).',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'awsKmsEndpoint', env: 'PARAPET_AWS_KMS_ENDPOINT', defaultText: "(unset: AWS's endpoint for the region)",
    description: 'A KMS-compatible endpoint URL (a VPC endpoint, or moto_server in tests).',
    parse: optionalHttpUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'awsRegion', env: 'PARAPET_AWS_REGION', defaultText: 'us-east-1',
    description: 'AWS region of the KMS key.',
    parse: nonEmpty, derive: () => 'us-east-1',
  }),
  defineOption({
    key: 'smtpHost', env: 'PARAPET_SMTP_HOST', defaultText: '(unset: mail goes to the development outbox, printed by `parapet mail outbox`)',
    description: 'SMTP server that sends invitations, verification and password-reset mail.',
    parse: (raw) => (optional(raw) === undefined ? undefined : hostname(raw)), derive: () => undefined,
  }),
  defineOption({
    key: 'smtpTls', env: 'PARAPET_SMTP_TLS', defaultText: 'starttls',
    description: 'starttls (upgrade required, never plain-text fallback), tls (TLS from the first byte, port 465) or none (loopback hosts only). The certificate is always verified.',
    parse: smtpTls, derive: () => 'starttls' as const,
  }),
  defineOption({
    key: 'smtpPort', env: 'PARAPET_SMTP_PORT', defaultText: '587 (465 with tls)',
    description: 'SMTP server port.',
    parse: integer(1, 65535), derive: (c) => (c.smtpTls === 'tls' ? 465 : 587),
  }),
  defineOption({
    key: 'smtpUser', env: 'PARAPET_SMTP_USER', defaultText: '(unset: no authentication)',
    description: 'SMTP user name.',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'smtpPassword', env: 'PARAPET_SMTP_PASSWORD', defaultText: '(unset)', secret: true,
    description: 'SMTP password (sent only over TLS unless PARAPET_SMTP_TLS is none).',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'smtpCaFile', env: 'PARAPET_SMTP_CA_FILE', defaultText: '(unset: system CAs)',
    description: 'PEM CA bundle that signs the SMTP server certificate (a private relay).',
    parse: optional, derive: () => undefined,
  }),
  defineOption({
    key: 'mailFrom', env: 'PARAPET_MAIL_FROM', defaultText: 'Parapet <parapet@<public URL host>>',
    description: 'Sender address of outgoing mail.',
    parse: mailbox, derive: (c) => `Parapet <parapet@${new URL(c.publicUrl ?? 'http://localhost').hostname.replace(/^\[|\]$/g, '')}>`,
  }),
  defineOption({
    key: 'databasePoolSize', env: 'PARAPET_DATABASE_POOL_SIZE', defaultText: '10',
    description: 'Connections each node keeps in its request pool (PostgreSQL server). Every node also holds one LISTEN and up to four background-job connections; keep nodes × (pool + 5) under the server\'s max_connections.',
    parse: integer(1, 1000), derive: () => 10,
  }),
  defineOption({
    key: 'databaseListenUrl', env: 'PARAPET_DATABASE_LISTEN_URL', defaultText: '(PARAPET_DATABASE_URL)', secret: true,
    description: 'PostgreSQL URL (as parapet_app) for the change feed\'s LISTEN and the background jobs\' advisory locks, which need a session of their own: set it to a direct connection when PARAPET_DATABASE_URL goes through a transaction-pooling proxy such as PgBouncer.',
    parse: databaseUrl, derive: () => undefined,
  }),
  defineOption({
    key: 'redisPrefix', env: 'PARAPET_REDIS_PREFIX', defaultText: 'parapet:<database name>:',
    description: 'Start of every Redis key and of the change-feed channel. Nodes of one installation share it; installations sharing a Redis need different ones (the default differs when their database names do).',
    parse: redisPrefix, derive: (c) => `parapet:${databaseName(c.databaseUrl)}:`,
  }),
  defineOption({
    key: 'headersTimeoutSeconds', env: 'PARAPET_HEADERS_TIMEOUT_SECONDS', defaultText: '10',
    description: 'A connection whose request headers have not all arrived this long after the request began is answered 408 and closed.',
    parse: integer(1, 300), derive: () => 10,
  }),
  defineOption({
    key: 'requestTimeoutSeconds', env: 'PARAPET_REQUEST_TIMEOUT_SECONDS', defaultText: '30',
    description: 'A request not fully received (headers and body) this long after it began is answered 408 and closed.',
    parse: integer(1, 3600), derive: () => 30,
  }),
] as const;

/** Comma-separated values, trimmed, empties dropped. */
export function list(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(asString).filter((x) => x !== '');
  return asString(raw).split(',').map((x) => x.trim()).filter((x) => x !== '');
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
