import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTestApp, type TestApp } from '../../../test/support/app.ts';
import { freePort } from '../../../test/support/ports.ts';
import { newUser, tokenLogin } from '../../../src/modules/tokens/user-tokens-test-fixture.ts';

/**
 * `@parapet/sdk` as an integrating app gets it: packed by `npm pack --workspace` (whose `prepack`
 * builds it), unpacked into the app's node_modules beside its one dependency, jose, and imported
 * by plain JavaScript under Node 24 and Node 20. Node refuses to strip types under node_modules,
 * so this only passes if the package hands out the JavaScript build and its declarations
 * (docs/sdk.md, "Installing the SDK"). Nothing is written inside the repository.
 */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
/** A Node 20 binary to run the packaged SDK with (the package's `engines` floor); Debian's is at /usr/bin/node here. */
const NODE_20 = '/usr/bin/node';

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

/**
 * The app, plain JavaScript: verifies a token against Parapet's JWKS, then serves a route behind
 * the Express-style middleware on node:http and calls it with the token, without one and with a
 * tampered one.
 */
const CONSUMER_JS = `import { createServer } from 'node:http';
import { createTokenVerifier, TokenVerificationError, createLocalAuthorizer, signRequest, parapetExpress } from '@parapet/sdk';

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
const guard = parapetExpress({ verifier });
const server = createServer((req, res) => guard(req, res, () => res.end(JSON.stringify({ user: req.user.subject }))));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const route = 'http://127.0.0.1:' + server.address().port + '/';
const call = async (headers) => { const r = await fetch(route, { headers }); return [r.status, await r.text()]; };
const middleware = [await call({ authorization: 'Bearer ' + token }), await call({}), await call({ authorization: 'Bearer ' + tampered })];
server.close();
console.log(JSON.stringify({
  node: process.versions.node,
  resolved: import.meta.resolve('@parapet/sdk'),
  subject: verified.subject,
  kind: verified.kind,
  refused,
  middleware,
  exports: [typeof createLocalAuthorizer, typeof signRequest],
}));
`;

/** The same app in TypeScript, type-checked against the package's declarations only. */
const CONSUMER_TS = `import Fastify from 'fastify';
import { createServer } from 'node:http';
import { createLocalAuthorizer, createTokenVerifier, parapetAuth, parapetExpress, type ParapetRequest, type Decision, type VerifiedToken } from '@parapet/sdk';

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
const guard = parapetExpress({ verifier, required: false });
createServer((req, res) => guard(req, res, () => res.end((req as ParapetRequest).user?.subject ?? '')));
`;

describe('@parapet/sdk installed from its packed tarball (docs/sdk.md, Installing the SDK)', () => {
  let work: string;
  let parapet: TestApp;
  let url: string;
  let consumer: string;
  let packed: string[];
  let manifest: { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; engines?: Record<string, string> };
  let token: string;
  let tampered: string;
  let userId: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'parapet-packaged-sdk-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const starting = createTestApp({ env: { PARAPET_PUBLIC_URL: url } });
    // Pack a copy of the working tree, so the `prepack` build writes its dist/ there, not here.
    const source = join(work, 'source');
    await copyWorkingTree(source);
    const { stdout } = await run('npm', ['pack', '--workspace=@parapet/sdk', '--json', '--pack-destination', work], { cwd: source, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });
    const [pack] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    assert.ok(pack !== undefined);
    packed = pack.files.map((f) => f.path);
    // What `npm install ./parapet-sdk-<version>.tgz` puts in node_modules: the tarball unpacked,
    // plus its one dependency (linked from this repository rather than fetched).
    consumer = join(work, 'app');
    const installed = join(consumer, 'node_modules', '@parapet', 'sdk');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(work, pack.filename), '-C', installed, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as typeof manifest;
    link(consumer, 'jose');
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'an-app', private: true, type: 'module' }));
    writeFileSync(join(consumer, 'app.js'), CONSUMER_JS);
    parapet = await starting;
    await parapet.app.http.listen({ port, host: '127.0.0.1' });
    const user = await newUser(parapet, 'packaged-sdk');
    userId = user.userId;
    ({ access_token: token } = await tokenLogin(parapet, user.email));
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    tampered = [header, Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString('base64url'), signature].join('.');
  });

  after(async () => {
    await parapet.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the JavaScript build with declarations, its README and package.json, and nothing of the server', () => {
    for (const file of ['package.json', 'README.md', 'dist/sdk/index.js', 'dist/sdk/index.d.ts', 'dist/sdk/express.js', 'dist/modules/access/evaluator.js']) assert.ok(packed.includes(file), file);
    assert.deepEqual(packed.filter((f) => !(f.startsWith('dist/') || f === 'package.json' || f === 'README.md')), []);
  });

  it('it depends on jose alone (fastify is an optional peer, for the plugin types) and supports Node 20', () => {
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}), ['jose']);
    assert.deepEqual(Object.keys(manifest.peerDependencies ?? {}), ['fastify']);
    assert.equal(manifest.engines?.['node'], '>=20');
  });

  it('the build imports nothing but jose and Node built-ins', () => {
    // The app's node_modules holds only @parapet/sdk and jose: had the SDK's graph pulled in the
    // server (kysely, fastify, pglite…), the apps below would fail to load it.
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
      'dist/sdk/express.js',
      'dist/sdk/index.js',
      'dist/sdk/signing.js',
      'dist/sdk/token-times.js',
      'dist/sdk/token-verifier.js',
    ]);
  });

  async function runApp(node: string): Promise<{ node: string; resolved: string; subject: string; kind: string; refused: string; middleware: [number, string][]; exports: string[] }> {
    // No source condition: what any app's `node app.js` does.
    const { stdout } = await run(node, ['app.js', url, token, tampered], { cwd: consumer, env: cleanEnv() });
    return JSON.parse(stdout) as Awaited<ReturnType<typeof runApp>>;
  }

  function assertApp(seen: Awaited<ReturnType<typeof runApp>>): void {
    assert.equal(seen.resolved, `file://${join(consumer, 'node_modules', '@parapet', 'sdk', 'dist', 'sdk', 'index.js')}`);
    assert.equal(seen.subject, userId);
    assert.equal(seen.kind, 'user');
    assert.equal(seen.refused, 'invalid_token');
    assert.deepEqual(seen.exports, ['function', 'function']);
    const [ok, missing, bad] = seen.middleware;
    assert.deepEqual(ok, [200, JSON.stringify({ user: userId })]);
    assert.equal(missing?.[0], 401);
    assert.equal(bad?.[0], 401);
    assert.equal((JSON.parse(bad?.[1] ?? '{}') as { code?: string }).code, 'unauthenticated');
  }

  it('AUTH-5: a plain JavaScript app on Node 24 imports @parapet/sdk from node_modules, accepts a real Parapet access token, refuses a tampered one, and guards a route with the Express middleware', async () => {
    const seen = await runApp(process.execPath);
    assert.match(seen.node, /^24\./);
    assertApp(seen);
  });

  it('AUTH-5: the same app on Node 20', async (t) => {
    const version = existsSync(NODE_20) ? (await run(NODE_20, ['--version'])).stdout.trim() : '';
    if (!version.startsWith('v20.')) {
      t.skip(`no Node 20 at ${NODE_20} (found ${version || 'nothing'})`);
      return;
    }
    const seen = await runApp(NODE_20);
    assert.match(seen.node, /^20\./);
    assertApp(seen);
  });

  it('a TypeScript app type-checks against the packaged declarations', async () => {
    link(consumer, 'fastify');
    link(consumer, '@types/node');
    writeFileSync(join(consumer, 'app.ts'), CONSUMER_TS);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'], skipLibCheck: true }, files: ['app.ts'] }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: consumer, env: cleanEnv() }).catch((error: unknown) => {
      assert.fail(`tsc failed on the consumer:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
    });
    // Declarations name their neighbours `./x.ts`; TypeScript must still find the `.d.ts` beside them.
    assert.ok(stdout.includes(join(consumer, 'node_modules', '@parapet', 'sdk', 'dist', 'modules', 'access', 'permissions.d.ts')), stdout);
  });
});
