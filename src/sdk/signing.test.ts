import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isWellFormedKey, parseApiKey } from '../modules/api-keys/key-format.ts';
import { bodyDigest, canonicalQuery, canonicalRequest, signRequest } from './signing.ts';

const DOC = readFileSync(new URL('../../docs/api-keys.md', import.meta.url), 'utf8');

/** The fenced block that follows `<!-- signing-example:<name> -->` in docs/api-keys.md. */
function block(name: string): string {
  const match = new RegExp(`<!-- signing-example:${name} -->\\n\`\`\`\\n([\\s\\S]*?)\\n\`\`\``).exec(DOC);
  assert.ok(match?.[1] !== undefined, `no ${name} block in docs/api-keys.md`);
  return match[1];
}

function fields(text: string, separator: RegExp): Record<string, string> {
  return Object.fromEntries(text.split('\n').map((line) => {
    const at = separator.exec(line);
    assert.ok(at !== null, line);
    return [line.slice(0, at.index).toLowerCase(), line.slice(at.index + at[0].length)];
  }));
}

describe('request signing SDK (AUTH-8)', () => {
  it('AUTH-8: the worked example in docs/api-keys.md is what the code computes', () => {
    const input = fields(block('inputs'), /: +/);
    const { key = '', secret = '', method = '', url = '', body = '', now = '' } = input;
    assert.ok(isWellFormedKey(key), 'the example key has a valid checksum');
    assert.ok(parseApiKey(key) !== undefined);
    const headers = signRequest({ key, secret, method, url, body, now: new Date(now) });
    const parsed = new URL(url);
    const canonical = canonicalRequest({ method, target: parsed.pathname + parsed.search, bodySha256: bodyDigest(body), timestamp: Number(headers['parapet-timestamp']) });
    assert.equal(canonical, block('canonical'));
    assert.ok(DOC.includes(`The body's SHA-256 is \`${bodyDigest(body)}\``));
    const expected = fields(block('headers'), /: /);
    assert.deepEqual({ ...headers }, { authorization: expected['authorization'], 'parapet-timestamp': expected['parapet-timestamp'], 'parapet-signature': expected['parapet-signature'] });
  });

  it('canonicalizes queries: sorted, re-encoded per RFC 3986, plus kept literal', () => {
    assert.equal(canonicalQuery(''), '');
    assert.equal(canonicalQuery('b=2&a=1&a=0'), 'a=0&a=1&b=2');
    assert.equal(canonicalQuery('x=%7e%41&y=a+b&z'), 'x=~A&y=a%2Bb&z=');
    assert.equal(canonicalQuery('q=caf%C3%A9&&r=(1)'), 'q=caf%C3%A9&r=%281%29');
    assert.throws(() => canonicalQuery('bad=%E0%A4%A'), URIError);
  });

  it('hashes an absent body as the empty string', () => {
    assert.equal(bodyDigest(undefined), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(bodyDigest(Buffer.from('{}')), bodyDigest('{}'));
  });
});
