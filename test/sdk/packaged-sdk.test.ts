import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';
import { newUser, tokenLogin } from '../../src/modules/tokens/user-tokens-test-fixture.ts';

/**
 * `parapet/sdk` as an integrating app gets it: packed by `npm pack` (which runs the `prepare`
 * build), unpacked into the app's node_modules, and imported by plain JavaScript. Node refuses to
 * strip types under node_modules, so this only passes if the package hands out the JavaScript
 * build and its declarations (docs/sdk.md, "Packaging"). Nothing is written inside the repository.
 */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** The environment of a shell, without what `npm test` adds (npm_* config, the source condition). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'NODE_OPTIONS'));
}

/** Copies the working tree (tracked and untracked files, not ignored ones: no dist/, no data) to `target`. */
async function copyWorkingTree(target: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  for (const file of new Set(stdout.split('\0').filter((f) => f !== ''))) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(target, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(target, 'node_modules'), 'dir');
}

function link(consumer: string, name: string): void {
  mkdirSync(dirname(join(consumer, 'node_modules', name)), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', name), join(consumer, 'node_modules', name), 'dir');
}

/** The app: verifies a token against Parapet's JWKS and prints what it saw. Plain JavaScript. */
const CONSUMER_JS = `import { createTokenVerifier, TokenVerificationError, createLocalAuthorizer, signRequest } from 'parapet/sdk';

const [issuer, token, tampered] = process.argv.slice(2);
const verifier = createTokenVerifier({ issuer, audience: issuer + '/api', jwksUrl: issuer + '/.well-known/jwks.json' });
const verified = await verifier.verify(token);
let refused;
try {
  await verifier.verify(tampered);
  refused = 'accepted';
} catch (error) {
  refused = error instanceof TokenVerificationError ? error.code : String(error);
}
console.log(JSON.stringify({
  resolved: import.meta.resolve('parapet/sdk'),
  subject: verified.subject,
  kind: verified.kind,
  refused,
  exports: [typeof createLocalAuthorizer, typeof signRequest],
}));
`;

/** The same app in TypeScript, type-checked against the package's declarations only. */
const CONSUMER_TS = `import Fastify from 'fastify';
import { createLocalAuthorizer, createTokenVerifier, parapetAuth, type Decision, type VerifiedToken } from 'parapet/sdk';

const verifier = createTokenVerifier({ issuer: 'https://parapet.example', audience: 'https://parapet.example/api', jwksUrl: 'https://parapet.example/.well-known/jwks.json' });
export async function subjectOf(token: string): Promise<string> {
  const verified: VerifiedToken = await verifier.verify(token);
  // @ts-expect-error the subject is a string: fails if the declarations did not resolve (any)
  const wrong: number = verified.subject;
  return String(wrong);
}
export async function canRead(): Promise<Decision> {
  const authorizer = createLocalAuthorizer({ baseUrl: 'https://parapet.example', organizationId: 'org', headers: () => ({}) });
  // @ts-expect-error not a permission in Parapet's catalogue: fails if the access declarations did not resolve
  await authorizer.can({ type: 'user', id: 'u' }, 'no.such.permission');
  return authorizer.can({ type: 'user', id: 'u' }, 'audit.read');
}
const app = Fastify();
await app.register(parapetAuth, { verifier });
app.get('/', async (request) => request.user?.subject ?? null);
`;

describe('parapet/sdk installed from a packed tarball (docs/sdk.md, Packaging)', () => {
  let work: string;
  let parapet: TestApp;
  let url: string;
  let consumer: string;
  let packed: string[];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'parapet-packaged-sdk-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const starting = createTestApp({ env: { PARAPET_PUBLIC_URL: url } });
    // Pack a copy of the working tree, so the `prepare` build writes its dist/ there, not here.
    const source = join(work, 'source');
    await copyWorkingTree(source);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });
    const [manifest] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    assert.ok(manifest !== undefined);
    packed = manifest.files.map((f) => f.path);
    // What `npm install ./parapet-<version>.tgz` puts in node_modules, without fetching parapet's
    // server dependencies: the tarball unpacked, plus the one package the SDK imports at runtime.
    consumer = join(work, 'app');
    mkdirSync(join(consumer, 'node_modules', 'parapet'), { recursive: true });
    await run('tar', ['-xzf', join(work, manifest.filename), '-C', join(consumer, 'node_modules', 'parapet'), '--strip-components=1']);
    link(consumer, 'jose');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }));
    writeFileSync(join(consumer, 'app.js'), CONSUMER_JS);
    parapet = await starting;
    await parapet.app.http.listen({ port, host: '127.0.0.1' });
  });

  after(async () => {
    await parapet.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the JavaScript build with declarations and the server sources, without tests', () => {
    for (const file of ['package.json', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/modules/access/evaluator.js', 'bin/parapet.js', 'src/main.ts']) assert.ok(packed.includes(file), file);
    assert.deepEqual(packed.filter((f) => f.endsWith('.test.ts') || f.startsWith('test/') || f.endsWith('-test-fixture.ts')), []);
  });

  it('the build imports nothing but jose and Node built-ins', () => {
    // The app's node_modules holds only parapet and jose: had the SDK's graph pulled in the server
    // (kysely, fastify, pglite…), the next test would fail to load it.
    assert.deepEqual(packed.filter((f) => f.startsWith('dist/') && f.endsWith('.js')).sort(), [
      'dist/modules/access/conditions.js',
      'dist/modules/access/evaluator.js',
      'dist/modules/access/org-policy.js',
      'dist/modules/access/permissions.js',
      'dist/modules/access/principal.js',
      'dist/modules/access/snapshot-format.js',
      'dist/platform/errors.js',
      'dist/platform/http/principal.js',
      'dist/platform/http/route-config.js',
      'dist/platform/net/cidr.js',
      'dist/sdk/authz.js',
      'dist/sdk/index.js',
      'dist/sdk/signing.js',
      'dist/sdk/token-times.js',
      'dist/sdk/token-verifier.js',
    ]);
  });

  it('AUTH-5: a plain JavaScript app imports parapet/sdk from node_modules, accepts a real Parapet access token and refuses a tampered one', async () => {
    const user = await newUser(parapet, 'packaged-sdk');
    const { access_token: token } = await tokenLogin(parapet, user.email);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = [header, Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString('base64url'), signature].join('.');
    // No source condition: what any app's `node app.js` does (Node 24 strips types, but not in node_modules).
    const { stdout } = await run(process.execPath, ['app.js', url, token, tampered], { cwd: consumer, env: cleanEnv() });
    const seen = JSON.parse(stdout) as { resolved: string; subject: string; kind: string; refused: string; exports: string[] };
    assert.equal(seen.resolved, `file://${join(consumer, 'node_modules', 'parapet', 'dist', 'sdk', 'index.js')}`);
    assert.equal(seen.subject, user.userId);
    assert.equal(seen.kind, 'user');
    assert.equal(seen.refused, 'invalid_token');
    assert.deepEqual(seen.exports, ['function', 'function']);
  });

  it('a TypeScript app type-checks against the packaged declarations', async () => {
    link(consumer, 'fastify');
    link(consumer, '@types/node');
    writeFileSync(join(consumer, 'app.ts'), CONSUMER_TS);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'es2024', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'], skipLibCheck: true }, files: ['app.ts'] }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: consumer, env: cleanEnv() }).catch((error: unknown) => {
      assert.fail(`tsc failed on the consumer:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
    });
    // Declarations name their neighbours `./x.ts`; TypeScript must still find the `.d.ts` beside them.
    assert.ok(stdout.includes(join(consumer, 'node_modules', 'parapet', 'dist', 'modules', 'access', 'permissions.d.ts')), stdout);
  });
});
