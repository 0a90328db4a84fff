// TLS for connections to a PostgreSQL server (ENC-7). node-postgres reads `sslmode` from a URL
// only partially (and a URL's settings override the `ssl` object given beside it), so Parapet
// removes every ssl parameter from the URL and builds the TLS options itself.
import { ParapetError } from '../errors.ts';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';

/** A connection string without ssl parameters, and the TLS options that replace them. */
export interface PostgresConnectionConfig {
  readonly connectionString: string;
  readonly ssl: false | ConnectionOptions;
}

const SSL_PARAMETERS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslcrl', 'uselibpqcompat'];

export class PostgresTlsError extends ParapetError {
  readonly code = 'postgres_tls';
  override readonly name = 'PostgresTlsError';
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new PostgresTlsError(`cannot read the database ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Builds node-postgres settings from a postgres:// URL and the optional `PARAPET_DATABASE_CA_FILE`:
 * - `sslmode=verify-full` (the default when a CA file or `sslrootcert` is given): the server's
 *   certificate must chain to the CA (or the system roots without one) and name the host of the URL;
 * - `verify-ca`: the chain is checked, the host name is not;
 * - `require`: treated as verify-full, as node-postgres 8 does — Parapet never connects to a server
 *   whose certificate it has not checked once TLS is asked for;
 * - `disable` or nothing: plain TCP (the loopback default).
 * `sslrootcert=<file>` in the URL wins over the CA file (`sslrootcert=system`: the system roots);
 * `sslcert`/`sslkey` give a client certificate.
 */
export function postgresConnectionConfig(url: string, caFile?: string): PostgresConnectionConfig {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const legacySsl = params.get('ssl');
  const rootCert = params.get('sslrootcert') ?? undefined;
  const mode = params.get('sslmode') ?? (rootCert !== undefined || caFile !== undefined || legacySsl === 'true' || legacySsl === '1' ? 'verify-full' : 'disable');
  const clientCert = params.get('sslcert') ?? undefined;
  const clientKey = params.get('sslkey') ?? undefined;
  for (const name of SSL_PARAMETERS) params.delete(name);
  const connectionString = parsed.toString();
  if (mode === 'disable') return { connectionString, ssl: false };
  if (mode !== 'require' && mode !== 'verify-ca' && mode !== 'verify-full') {
    throw new PostgresTlsError(`unsupported sslmode "${mode}" (use disable, require, verify-ca or verify-full)`);
  }
  const caPath = rootCert === 'system' ? undefined : (rootCert ?? caFile);
  const host = decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '');
  const ssl: ConnectionOptions = {
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(caPath === undefined ? {} : { ca: readPem(caPath, 'CA file') }),
    // SNI carries names only (RFC 6066); for an IP address Node checks the certificate's IP SANs.
    ...(host !== '' && isIP(host) === 0 ? { servername: host } : {}),
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    ...(clientCert === undefined ? {} : { cert: readPem(clientCert, 'client certificate') }),
    ...(clientKey === undefined ? {} : { key: readPem(clientKey, 'client key') }),
  };
  return { connectionString, ssl };
}
