// HTTPS served by Parapet itself (ENC-6): the hardened TLS settings, loading and checking the
// certificate and key, reloading them without a restart, and the plain-HTTP redirect listener.
import { ParapetError } from '../errors.ts';
import { constants } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { basename, dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { createClientErrorHandler } from './edge-errors.ts';
import { securityHeaders } from './security-headers.ts';

/**
 * Mozilla Server Side TLS guidelines, version 5.7, "intermediate" configuration
 * (https://wiki.mozilla.org/Security/Server_Side_TLS, https://ssl-config.mozilla.org/guidelines/5.7.json):
 * TLS 1.3 suites, then the TLS 1.2 list — ECDHE with ECDSA or RSA, AES-GCM or ChaCha20-Poly1305,
 * AEAD only. The guideline's DHE-RSA-AES128-GCM-SHA256, DHE-RSA-AES256-GCM-SHA384 and DHE-RSA-CHACHA20-POLY1305 are left
 * out: they need configured DH parameters (ffdhe2048), which Parapet does not set, and every
 * client the intermediate profile targets speaks ECDHE.
 */
export const MOZILLA_INTERMEDIATE_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** Mozilla intermediate 5.7: X25519, prime256v1, secp384r1. */
export const TLS_CURVES = 'X25519:prime256v1:secp384r1';

/** HSTS max-age Parapet sends over HTTPS: two years (Mozilla's recommendation, HSTS preload minimum is one). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;

/**
 * Settings every HTTPS listener uses, whatever Node's defaults or `--tls-min-v1.0` say: TLS 1.2
 * and 1.3 only, the cipher list above, the client's preference among those (Mozilla intermediate:
 * `honorCipherOrder` false, since every suite left is strong), no TLS compression (CRIME) and no
 * renegotiation.
 */
export const TLS_HARDENING: Readonly<TlsOptions> = Object.freeze({
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: MOZILLA_INTERMEDIATE_CIPHERS,
  ecdhCurve: TLS_CURVES,
  honorCipherOrder: false,
  secureOptions: constants.SSL_OP_NO_COMPRESSION | constants.SSL_OP_NO_RENEGOTIATION,
});

/** A certificate problem found at start-up or reload; the message names the file. */
export class TlsConfigError extends ParapetError {
  readonly code = 'tls_config';
  override readonly name = 'TlsConfigError';
}

export interface TlsPair {
  readonly cert: string;
  readonly key: string;
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

function readKeyFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new TlsConfigError(`TLS key file ${path} (PARAPET_TLS_KEY_FILE) cannot be read: ${(error as Error).message}`);
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new TlsConfigError(
        `TLS key file ${path} (PARAPET_TLS_KEY_FILE) has mode ${mode.toString(8).padStart(4, '0')}; it must not be accessible to group or others (chmod 600 ${path})`,
      );
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the PEM certificate chain and private key, refuses a key file group or others can access,
 * and checks the two belong together by building a context from them (OpenSSL compares them).
 */
export function loadTlsPair(files: TlsFiles): TlsPair {
  let cert: string;
  try {
    cert = readFileSync(files.certFile, 'utf8');
  } catch (error) {
    throw new TlsConfigError(`TLS certificate file ${files.certFile} (PARAPET_TLS_CERT_FILE) cannot be read: ${(error as Error).message}`);
  }
  const key = readKeyFile(files.keyFile);
  try {
    createSecureContext({ ...TLS_HARDENING, cert, key });
  } catch (error) {
    throw new TlsConfigError(`TLS certificate ${files.certFile} and key ${files.keyFile} are not a usable pair: ${(error as Error).message}`);
  }
  return { cert, key };
}

/** Options for `https.createServer` / Fastify's `https`: the pair plus the hardening above. */
export function tlsServerOptions(pair: TlsPair): SecureContextOptions & TlsOptions {
  return { ...TLS_HARDENING, cert: pair.cert, key: pair.key };
}

/** What the reloader needs of an HTTPS server (`tls.Server#setSecureContext`). */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface CertificateReloader {
  /** Loads the files now; on success the next handshake uses them. False (and logged) if broken. */
  reload(): boolean;
  close(): void;
}

/**
 * Watches the certificate and key (their folders, so renames such as certbot's or Kubernetes'
 * symlink swaps are seen) and, after `debounceMs` of quiet, installs the new pair. A broken new
 * pair — unreadable, loose key permissions, mismatched — is logged and the running one kept.
 */
export function watchCertificates(server: SecureContextTarget, files: TlsFiles, logger: Logger, options: { debounceMs?: number } = {}): CertificateReloader {
  const debounceMs = options.debounceMs ?? 500;
  const reload = (): boolean => {
    let pair: TlsPair;
    try {
      pair = loadTlsPair(files);
    } catch (error) {
      logger.error({ err: { message: (error as Error).message } }, 'TLS certificate reload failed; keeping the certificate in use');
      return false;
    }
    server.setSecureContext(tlsServerOptions(pair));
    logger.info({ certFile: files.certFile }, 'TLS certificate reloaded');
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  const byFolder = new Map<string, Set<string>>();
  for (const file of [files.certFile, files.keyFile]) {
    const folder = dirname(resolve(file));
    const names = byFolder.get(folder) ?? new Set<string>();
    names.add(basename(file));
    byFolder.set(folder, names);
  }
  for (const [folder, names] of byFolder) {
    const watcher = watch(folder, { persistent: false }, (_event, name) => {
      // Kubernetes secret volumes swap a `..data` symlink; any change there may change the files.
      if (name === null || names.has(name) || name.startsWith('..')) schedule();
    });
    watcher.on('error', (error) => {
      logger.warn({ err: { message: error.message }, folder }, 'cannot watch TLS certificate folder; reload with SIGHUP');
    });
    watchers.push(watcher);
  }
  return {
    reload,
    close: () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}

/**
 * The plain-HTTP listener: every request, whatever its method or path, gets `308 Permanent
 * Redirect` to the same path on the HTTPS public URL and an empty body. The target host comes from
 * the configured public URL, never from the request's Host header.
 */
export function createRedirectServer(publicUrl: string): HttpServer {
  const origin = new URL(publicUrl).origin;
  const server = createServer((request, response) => {
    const path = request.url?.startsWith('/') === true ? request.url : '/';
    response.writeHead(308, { location: `${origin}${path}`, 'content-length': '0', 'cache-control': 'no-store', connection: 'close' });
    response.end();
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  // What Node cannot parse is answered as on the HTTPS listener: problem+json, no echo.
  server.on('clientError', createClientErrorHandler({ logger: { debug: () => undefined }, headers: securityHeaders(false) }));
  return server;
}
