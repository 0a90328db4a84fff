import { connect as netConnect, type Socket } from 'node:net';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { DeliveryError, type AddressGuard } from '../audit-streaming/index.ts';
import { ParapetError } from '../../platform/errors.ts';

/** What one probe found: its latency, and the error code when it failed (never a response body). */
export type ProbeResult = { readonly ok: true; readonly latencyMs: number } | { readonly ok: false; readonly latencyMs: number; readonly error: string };

/** How each kind of check reaches the part it probes; a part this deployment does not have is absent. */
export interface ProbeTargets {
  readonly api: () => Promise<void>;
  readonly database: () => Promise<void>;
  readonly redis?: (() => Promise<void>) | undefined;
  readonly mail?: (() => Promise<void>) | undefined;
  readonly key_provider: () => Promise<void>;
  readonly http: (url: string) => Promise<void>;
}

/** Runs one probe with a deadline; a thrown DeliveryError gives its code, anything else `unreachable`. */
export async function runProbe(probe: () => Promise<void>, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe(), new Promise<never>((_, reject) => { timer = setTimeout(() => { reject(new DeliveryError('timeout', 'the probe did not answer in time')); }, timeoutMs); })]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const code = error instanceof DeliveryError ? error.code : error instanceof ProbeError ? error.message : 'unreachable';
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: code };
  } finally {
    clearTimeout(timer);
  }
}

/** A probe's own failure, with a short code as its message (`http_503`, `bad_greeting`). */
export class ProbeError extends ParapetError {
  override readonly name = 'ProbeError';
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

/**
 * An operator's HTTP check (IR-4): `GET` an https URL through the audit streams' address guard —
 * an IP literal is checked before connecting and every DNS answer at connection (no rebinding to a
 * private address) — answering 2xx. Redirects are not followed; the body is never read.
 */
export function httpCheck(options: { guard: AddressGuard; caPem: string | null; timeoutMs: number }): (url: string) => Promise<void> {
  return (text) => {
    const url = new URL(text);
    if (url.protocol !== 'https:') return Promise.reject(new DeliveryError('invalid_destination', 'checks use https'));
    options.guard.assertAllowed(url.hostname.replace(/^\[|\]$/g, ''));
    return new Promise<void>((resolve, reject) => {
      const req = request(url, {
        method: 'GET', headers: { 'user-agent': 'Parapet-Status-Check/1', accept: '*/*' }, agent: false, rejectUnauthorized: true, minVersion: 'TLSv1.2',
        lookup: options.guard.lookup, signal: AbortSignal.timeout(options.timeoutMs), ...(options.caPem === null ? {} : { ca: options.caPem }),
      }, (response) => {
        const status = response.statusCode ?? 0;
        response.destroy();
        if (status >= 200 && status < 300) resolve();
        else reject(new ProbeError(status >= 300 && status < 400 ? 'redirect' : `http_${status}`));
      });
      req.on('error', (error) => {
        reject(error instanceof DeliveryError ? error : new ProbeError((error as NodeJS.ErrnoException).code === 'ABORT_ERR' ? 'timeout' : 'unreachable'));
      });
      req.end();
    });
  };
}

/**
 * The mail probe: connect to the configured SMTP server and read its greeting (RFC 5321 §4.2:
 * "220" when it is ready), then QUIT. No message is sent and no credential is used.
 */
export function smtpGreeting(settings: { host: string; port: number; tls: 'starttls' | 'tls' | 'none'; caPem: string | null; timeoutMs: number }): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const socket: Socket = settings.tls === 'tls'
        ? tlsConnect({ host: settings.host, port: settings.port, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(settings.caPem === null ? {} : { ca: settings.caPem }) })
        : netConnect({ host: settings.host, port: settings.port });
      socket.setTimeout(settings.timeoutMs, () => { socket.destroy(); reject(new ProbeError('timeout')); });
      let greeting = '';
      socket.on('data', (chunk: Buffer) => {
        greeting += chunk.toString('latin1');
        if (!greeting.includes('\n')) return;
        const ready = greeting.startsWith('220');
        socket.end('QUIT\r\n');
        if (ready) resolve();
        else reject(new ProbeError('bad_greeting'));
      });
      socket.on('error', () => { reject(new ProbeError('unreachable')); });
      socket.on('close', () => { reject(new ProbeError('closed')); });
    });
}
