// Attacks on the shared cache of verified bearer tokens: a forged token that shares a cached
// token's signature, use after expiry, and a revocation racing a verification.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { manualClock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { ServiceAccountPrincipal, UserPrincipal } from '../access/index.ts';
import { assertInScope, createVerifiedTokenCache, singleFlight, type VerifiedToken } from './verified-token-cache.ts';

const START = new Date('2026-11-23T06:00:00Z');
const SIGNATURE = 'S'.repeat(86);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokenWith = (claims: object, signature = SIGNATURE) => `${b64({ alg: 'EdDSA', typ: 'at+jwt' })}.${b64(claims)}.${signature}`;

const user: UserPrincipal = Object.freeze({ kind: 'user', userId: 'u1', sessionId: 's1', email: 'a@example.com', displayName: 'A', isPlatformAdmin: false, authMethods: ['pwd'], authenticatedAt: START });
const robot: ServiceAccountPrincipal = Object.freeze({ kind: 'service_account', serviceAccountId: 'sa1', tenantId: 't1', displayName: 'Robot', clientId: 'c1', scope: undefined });

function entry<P extends UserPrincipal | ServiceAccountPrincipal>(token: string, principal: P, overrides: Partial<VerifiedToken<P>> = {}): VerifiedToken<P> {
  return { token, principal, expiresAt: START.getTime() + 900_000, staleAt: Infinity, confinedTo: undefined, ...overrides };
}

function cached(cache: ReturnType<typeof createVerifiedTokenCache>, group: string, value: VerifiedToken): void {
  const pending = cache.begin(group);
  assert.equal(pending.store(value), true);
  pending.release();
}

describe('the verified-token cache (AUTH-5, AUTH-7)', () => {
  it('AUTH-5: a token that shares a cached token\u2019s signature but not its header or claims is not served from the cache', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const genuine = tokenWith({ sub: 'u1', sid: 's1' });
    cached(cache, 'session:s1', entry(genuine, user));
    assert.equal(cache.get(genuine)?.principal, user);
    assert.equal(cache.fromHeader(`Bearer ${genuine}`)?.principal, user);
    // Same signature segment, claims changed (e.g. another sid, or a widened tid): a cache miss.
    const forged = tokenWith({ sub: 'u1', sid: 's2' });
    assert.equal(cache.get(forged), undefined);
    assert.equal(cache.fromHeader(`Bearer ${forged}`), undefined);
    // Same length too, one character of the payload changed.
    const tweaked = `${genuine.slice(0, 60)}${genuine[60] === 'A' ? 'B' : 'A'}${genuine.slice(61)}`;
    assert.equal(tweaked.length, genuine.length);
    assert.equal(cache.get(tweaked), undefined);
    assert.equal(cache.fromHeader(`Bearer ${tweaked}`), undefined);
  });

  it('the header fast path matches only `Bearer <token>` exactly; other spellings are left to the parser', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const token = tokenWith({ sub: 'u1' });
    cached(cache, 'session:s1', entry(token, user));
    for (const header of [`bearer ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `Basic ${token}`, `XBearer ${token}`, token, `Bearer ${token}.${SIGNATURE}`]) {
      assert.equal(cache.fromHeader(header), undefined, header.slice(0, 12));
    }
  });

  it('AUTH-5: an entry is refused from the millisecond its expiry is reached, and forgotten', () => {
    const clock = manualClock(START);
    const cache = createVerifiedTokenCache({ clock });
    const token = tokenWith({ sub: 'u1' });
    cached(cache, 'session:s1', entry(token, user, { expiresAt: START.getTime() + 1000 }));
    clock.advance(999);
    assert.equal(cache.get(token)?.principal, user);
    clock.advance(1);
    assert.equal(cache.fromHeader(`Bearer ${token}`), undefined);
    assert.equal(cache.get(token), undefined);
    assert.equal(cache.size, 0);
  });

  it('AUTH-7: an entry past its staleness bound is verified again even before it expires', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const token = tokenWith({ sub: 'sa1', client_id: 'c1' });
    cached(cache, 'tenant:t1', entry(token, robot, { staleAt: performance.now() - 1 }));
    assert.equal(cache.get(token), undefined);
  });

  it('AUTH-5: dropping a group removes its tokens only', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const mine = tokenWith({ sid: 's1' }, 'a'.repeat(86));
    const other = tokenWith({ sid: 's2' }, 'b'.repeat(86));
    const service = tokenWith({ client_id: 'c1' }, 'c'.repeat(86));
    cached(cache, 'session:s1', entry(mine, user));
    cached(cache, 'session:s2', entry(other, user));
    cached(cache, 'tenant:t1', entry(service, robot));
    cache.drop('session:s1');
    assert.equal(cache.get(mine), undefined);
    assert.equal(cache.get(other)?.principal, user);
    assert.equal(cache.get(service)?.principal, robot);
    cache.drop('tenant:t1');
    assert.equal(cache.get(service), undefined);
    cache.clear();
    assert.equal(cache.get(other), undefined);
  });

  it('AUTH-5: a revocation heard while a token was being verified wins: the result is not stored', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const token = tokenWith({ sid: 's1' });
    const racing = cache.begin('session:s1');
    const unrelated = cache.begin('session:s2');
    cache.drop('session:s1');
    assert.equal(racing.store(entry(token, user)), false);
    racing.release();
    assert.equal(cache.get(token), undefined);
    // A verification of another group is unaffected; one begun after the drop stores normally.
    assert.equal(unrelated.store(entry(tokenWith({ sid: 's2' }, 'b'.repeat(86)), user)), true);
    unrelated.release();
    const after = cache.begin('session:s1');
    assert.equal(after.store(entry(token, user)), true);
    after.release();
    assert.equal(cache.get(token)?.principal, user);
  });

  it('AUTH-5: losing the change feed (clear) voids every verification in flight', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START) });
    const pending = cache.begin('session:s1');
    cache.clear();
    assert.equal(pending.store(entry(tokenWith({ sid: 's1' }), user)), false);
    pending.release();
    assert.equal(cache.size, 0);
  });

  it('is bounded: past maxEntries the oldest entry is evicted', () => {
    const cache = createVerifiedTokenCache({ clock: manualClock(START), maxEntries: 3 });
    const tokens = ['a', 'b', 'c', 'd'].map((c) => tokenWith({ c }, c.repeat(86)));
    for (const token of tokens) cached(cache, 'session:s1', entry(token, user));
    assert.equal(cache.size, 3);
    assert.equal(cache.get(tokens[0] ?? ''), undefined);
    assert.equal(cache.get(tokens[3] ?? '')?.principal, user);
  });

  it('AC-1: a token confined to an organization is refused on a route that names another one', () => {
    const confined = entry(tokenWith({ tid: 'org-a' }), user, { confinedTo: 'org-a' });
    const request = (params: object) => ({ params }) as unknown as FastifyRequest;
    assert.doesNotThrow(() => {
      assertInScope(request({ orgId: 'ORG-A' }), confined);
    });
    assert.doesNotThrow(() => {
      assertInScope(request({}), confined);
    });
    assert.throws(() => {
      assertInScope(request({ orgId: 'org-b' }), confined);
    }, (error: unknown) => error instanceof AppError && error.code === 'forbidden');
    assert.doesNotThrow(() => {
      assertInScope(request({ orgId: 'org-b' }), entry(tokenWith({}), user));
    });
  });

  it('concurrent first uses of one token share one verification', async () => {
    const once = singleFlight<number>();
    let runs = 0;
    const verify = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return runs;
    };
    const results = await Promise.all([once('t', verify), once('t', verify), once('t', verify)]);
    assert.deepEqual(results, [1, 1, 1]);
    assert.equal(await once('t', verify), 2, 'a later use verifies again');
  });
});
