import { request } from 'node:https';
import { TLSSocket } from 'node:tls';
import { isLoopback } from '../../../config/options.ts';
import type { KeyProvider } from '../../../platform/crypto/key-provider.ts';
import { fail, notApplicable, pass, type TrustCheck } from './trust-check.ts';

/** HSTS max-age the check accepts: one year (the header Parapet sends says two). */
const MIN_HSTS_SECONDS = 31_536_000;

/**
 * ENC-6: connects to the deployment's public URL as a client would and records the negotiated TLS
 * version and cipher and the HSTS header. Passes on TLS 1.2/1.3 with an AEAD cipher and HSTS of at
 * least a year. Plain HTTP is not applicable on loopback (development) and a failure elsewhere.
 */
export function tlsCheck(deps: { publicUrl: string; ca?: string | Buffer | undefined; timeoutMs?: number }): TrustCheck {
  return {
    id: 'enc.tls',
    claims: ['ENC-6'],
    title: 'The public endpoint negotiates TLS 1.2 or 1.3 with an AEAD cipher and sends HSTS.',
    run: async () => {
      const url = new URL(deps.publicUrl);
      if (url.protocol !== 'https:') {
        const host = url.hostname.replace(/^\[|\]$/g, '');
        if (isLoopback(host)) return notApplicable('This deployment is served over plain HTTP on loopback (development); TLS is not in use.', deps.publicUrl);
        return fail('The public endpoint is not served over TLS.', `public URL ${deps.publicUrl} is plain HTTP`);
      }
      const seen = await new Promise<{ protocol: string | null; cipher: string; hsts: string | undefined }>((resolve, reject) => {
        const req = request(new URL('/healthz', url), { method: 'GET', ...(deps.ca === undefined ? {} : { ca: deps.ca }), timeout: deps.timeoutMs ?? 10_000 }, (res) => {
          res.resume();
          const socket: unknown = res.socket;
          if (!(socket instanceof TLSSocket)) {
            reject(new Error('not a TLS connection'));
            return;
          }
          const cipher: { name: string } = socket.getCipher();
          const hsts: string | undefined = res.headers['strict-transport-security'];
          resolve({ protocol: socket.getProtocol(), cipher: cipher.name, hsts });
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      }).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      if ('error' in seen) return fail('The public endpoint could not be reached over verified TLS.', `${url.host}: ${seen.error}`);
      const problems: string[] = [];
      if (seen.protocol !== 'TLSv1.3' && seen.protocol !== 'TLSv1.2') problems.push(`protocol ${String(seen.protocol)}`);
      // RFC 9325 §4.2: AEAD suites only (GCM, CHACHA20-POLY1305; TLS 1.3 suites are all AEAD).
      if (!/GCM|CHACHA20|CCM/.test(seen.cipher)) problems.push(`cipher ${seen.cipher} is not AEAD`);
      const maxAge = /max-age=(\d+)/i.exec(seen.hsts ?? '')?.[1];
      if (maxAge === undefined || Number(maxAge) < MIN_HSTS_SECONDS) problems.push(`HSTS ${seen.hsts ?? 'missing'}`);
      const found = `${String(seen.protocol)}, ${seen.cipher}, HSTS ${seen.hsts ?? 'missing'}`;
      if (problems.length > 0) return fail('The public endpoint’s TLS configuration is weaker than stated.', `${url.host}: ${problems.join('; ')}`);
      return pass(`The public endpoint negotiated ${String(seen.protocol)} with an AEAD cipher and sends HSTS.`, `${url.host}: ${found}`);
    },
  };
}

/**
 * ENC-1, ENC-2: the root key provider (local keyring or KMS) wraps and unwraps a throwaway data key
 * for a probe tenant, so field encryption can reach its keys. The plaintext keys are zeroized.
 */
export function keyProviderCheck(deps: { provider: KeyProvider }): TrustCheck {
  return {
    id: 'enc.key-provider',
    claims: ['ENC-1', 'ENC-2'],
    title: 'The key provider that wraps every tenant key answers: a throwaway data key wraps and unwraps.',
    run: async () => {
      const context = { tenantId: crypto.randomUUID(), keyVersion: 1 };
      try {
        const { plaintext, wrapped } = await deps.provider.generateDataKey(context);
        const unwrapped = await deps.provider.unwrap(wrapped, context);
        const same = unwrapped.equals(plaintext);
        plaintext.fill(0);
        unwrapped.fill(0);
        if (!same) return fail('The key provider returned a different key than it wrapped.', `${deps.provider.kind}: unwrapped key differs`);
        return pass(`The ${deps.provider.kind === 'aws-kms' ? 'KMS' : 'local'} key provider wrapped and unwrapped a data key.`, `${deps.provider.kind}, root version ${wrapped.rootVersion}`);
      } catch (error) {
        return fail('The key provider could not wrap or unwrap a data key.', `${deps.provider.kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
