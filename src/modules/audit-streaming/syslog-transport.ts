import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { DeliveryError, toDeliveryError } from './delivery-error.ts';
import type { AddressGuard } from './network-guard.ts';

export interface SyslogTarget {
  readonly host: string;
  readonly port: number;
  /** PEM of the CA(s) that issued the receiver's certificate; `null`: the system store. */
  readonly caPem: string | null;
}

/**
 * Sends octet-counted frames over one TLS connection (RFC 5425) and resolves only once the
 * receiver has closed its side after reading them.
 *
 * RFC 5425 has no application-level acknowledgement, so this is the strongest one TCP offers: we
 * send our close (TLS close_notify, then FIN) after the last frame, and the receiver closes back
 * only after it has read everything before it. A receiver that dies, resets or stays silent makes
 * the batch fail, and it is sent again (at least once).
 */
export async function sendSyslogFrames(target: SyslogTarget, frames: readonly Buffer[], options: { guard: AddressGuard; timeoutMs: number }): Promise<void> {
  options.guard.assertAllowed(target.host);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    let receiverClosed = false;
    const socket = connect({
      host: target.host,
      port: target.port,
      // RFC 5425 §5.2: the client MUST verify the server's certificate; TLS 1.2 at least (RFC 9325).
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      lookup: options.guard.lookup,
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
      ...(target.caPem === null ? {} : { ca: target.caPem }),
    });
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) {
        resolve();
      } else {
        socket.destroy();
        reject(toDeliveryError(error));
      }
    };
    const timer = setTimeout(() => {
      finish(new DeliveryError('timeout', 'the syslog receiver did not confirm in time'));
    }, options.timeoutMs);
    socket.once('secureConnect', () => socket.end(Buffer.concat(frames)));
    // The receiver sends nothing; reading keeps the stream flowing so its close is seen.
    socket.on('data', () => undefined);
    socket.on('end', () => {
      receiverClosed = true;
    });
    socket.on('error', finish);
    socket.on('close', () => {
      finish(receiverClosed ? undefined : new DeliveryError('unreachable', 'the connection closed before the receiver confirmed'));
    });
  });
}
