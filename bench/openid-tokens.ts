// The OpenID Provider (issue 17): what the authorization-code flow costs, against raw Ed25519
// signing in the same run.
//
// 1. Baseline: signing an ID-token-sized JWT with Ed25519 (jose, in process), one at a time.
// 2. Token endpoint: POST /oidc/token exchanging an authorization code (client_secret_basic, PKCE
//    S256) for an ID token (EdDSA) and an access token, 20 exchanges in flight over loopback HTTP;
//    p50/p99 latency of those exchanges.
// 3. The silent authorization request (a browser with a live Parapet session): GET /oidc/auth
//    through the hosted sign-in's continuation to the redirect carrying the code, one at a time.
// Codes live 60 s, so each round's codes are minted (untimed) just before it; the exchange and
// signing sides then alternate, so the exchange rounds time exchanges only. The database is PGlite, or the PostgreSQL server with PARAPET_TEST_DB=postgres
// (test/support/app.ts), like the OpenID tests.
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { application, Browser, discover, newUser, REDIRECT_URI, signIn, startProvider } from '../src/modules/openid/openid-test-fixture.ts';
import { formatRate, formatRatio, measureRounds, median, runConcurrently, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { rounds: 3, ops: 40, warmup: 10, concurrency: 20, authorizeOps: 20, p99TargetMs: 250 };

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export const openidTokens: Benchmark = {
  name: 'openid-tokens',
  description: 'OIDC code exchange + ID token vs raw Ed25519 signing; token endpoint p99 under 20 concurrent exchanges; silent authorization',
  onlyWhenNamed: true,
  run: async (out) => {
    const r = await startProvider('bench-openid', { PARAPET_RATE_LIMIT: '1000000', PARAPET_AUTH_RATE_LIMIT: '100000', PARAPET_LOG_LEVEL: 'warn' });
    try {
      const app = await application(r);
      const config = await discover(r, app);
      const secret = app.client_secret ?? '';
      const basic = `Basic ${Buffer.from(`${encodeURIComponent(app.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      const verifier = oidc.randomPKCECodeVerifier();
      const challenge = await oidc.calculatePKCECodeChallenge(verifier);
      const authorizeUrl = () => oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid email', code_challenge: challenge, code_challenge_method: 'S256', state: oidc.randomState(), nonce: oidc.randomNonce() }).href;
      // One browser signed in once; every further authorization request continues its Parapet session.
      const browser = new Browser(r.issuer);
      const first = await signIn(r, browser, new URL(authorizeUrl()), await newUser(r, 'bench-openid'));
      if (!first.startsWith(`${REDIRECT_URI}?code=`)) throw new Error(`sign-in ended at ${first}`);
      const codes: string[] = [];
      const authorize = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const { url } = await browser.follow(authorizeUrl());
          const code = new URL(url).searchParams.get('code');
          if (code === null) throw new Error(`no code: ${url}`);
          codes.push(code);
        }
      };
      const latencies: number[] = [];
      const exchange = (n: number) =>
        runConcurrently(n, SETTINGS.concurrency, async () => {
          const code = codes.pop();
          if (code === undefined) throw new Error('out of codes');
          const started = performance.now();
          const response = await fetch(`${r.issuer}/oidc/token`, {
            method: 'POST',
            headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }).toString(),
          });
          const body = (await response.json()) as { id_token?: string };
          latencies.push(performance.now() - started);
          if (response.status !== 200 || body.id_token === undefined) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
        });
      const { privateKey } = generateKeyPairSync('ed25519');
      const sign = async (n: number) => {
        for (let i = 0; i < n; i++) {
          await new SignJWT({ email: 'bench@example.com', email_verified: true, amr: ['pwd'], acr: 'urn:parapet:acr:pwd', nonce: 'n', auth_time: 0 })
            .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
            .setIssuer(r.issuer)
            .setSubject(crypto.randomUUID())
            .setAudience(app.client_id)
            .setIssuedAt()
            .setExpirationTime('15m')
            .sign(privateKey);
        }
      };

      out(`${process.env['PARAPET_TEST_DB'] === 'postgres' ? 'PostgreSQL server' : 'PGlite'}; ${SETTINGS.concurrency} exchanges in flight over loopback HTTP (fetch), ${SETTINGS.rounds} rounds of ${SETTINGS.ops}`);
      const timed = async (run: (n: number) => Promise<void>, n: number) => {
        const started = performance.now();
        await run(n);
        return n / ((performance.now() - started) / 1000);
      };
      await authorize(SETTINGS.warmup);
      await exchange(SETTINGS.warmup);
      await sign(SETTINGS.warmup);
      latencies.length = 0;
      const signRates: number[] = [];
      const exchangeRates: number[] = [];
      for (let round = 0; round < SETTINGS.rounds; round++) {
        await authorize(SETTINGS.ops);
        const sides = [async () => signRates.push(await timed(sign, SETTINGS.ops)), async () => exchangeRates.push(await timed(exchange, SETTINGS.ops))];
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) await side();
        out(`  round ${round + 1}/${SETTINGS.rounds}: Ed25519 JWT sign ${formatRate(signRates[round]!)} | code exchange ${formatRate(exchangeRates[round]!)}`);
      }
      const exchangeRatios = exchangeRates.map((rate, round) => rate / signRates[round]!);
      const measured = [...latencies];
      const authorizing = await measureRounds({ baseline: { label: 'Ed25519 JWT sign', run: sign }, subjects: [{ label: 'silent authorization', run: authorize }], rounds: SETTINGS.rounds, ops: SETTINGS.authorizeOps, warmupOps: 5, out });
      const p99 = percentile(measured, 99);
      for (const line of table(
        ['measure', 'value'],
        [
          ['Ed25519 JWT signatures/s (median)', formatRate(median(signRates))],
          ['code exchanges (+ ID token) /s (median)', formatRate(median(exchangeRates))],
          ['code exchange / Ed25519 sign (median, range)', formatRatio(exchangeRatios)],
          [`token endpoint latency under ${SETTINGS.concurrency} in flight, ms p50 / p99 (${measured.length} exchanges)`, `${percentile(measured, 50).toFixed(1)} / ${p99.toFixed(1)}`],
          ['silent authorization requests/s (median, sequential)', formatRate(authorizing.subjects[0]!.medianOpsPerSecond)],
          ['silent authorization / Ed25519 sign (median, range)', formatRatio(authorizing.subjects[0]!.ratios)],
        ],
      )) out(line);
      const verdicts: Verdict[] = [{ measure: `token endpoint p99 under ${SETTINGS.concurrency} concurrent exchanges, ms`, value: p99.toFixed(1), target: `<= ${SETTINGS.p99TargetMs}`, met: p99 <= SETTINGS.p99TargetMs }];
      return verdicts;
    } finally {
      await r.t.close();
    }
  },
};
