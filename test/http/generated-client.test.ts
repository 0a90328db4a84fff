// Issue 17: "A client generated from /openapi.json by a standard generator compiles and calls three
// routes." The generator is openapi-typescript (types from the document, run on what a running
// Parapet serves), the client openapi-fetch; the client code is compiled by tsc with the project's
// strict options and then run against Parapet over a real socket.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { createTestApp, TEST_PASSWORD, type TestApp } from '../support/app.ts';
import { freePort } from '../support/ports.ts';

/** The app's code, as an integrator would write it against the generated `paths`. */
const CLIENT = `import createClient from 'openapi-fetch';
import type { paths } from './parapet-api.ts';

export interface Calls {
  readonly userId: string;
  readonly sessionUserEmail: string;
  readonly organizationNames: readonly string[];
}

export async function callThreeRoutes(baseUrl: string, email: string, password: string): Promise<Calls> {
  const client = createClient<paths>({ baseUrl });
  const login = await client.POST('/api/v1/auth/login', { body: { email, password, response_type: 'token' } });
  if (login.data === undefined || !('access_token' in login.data)) throw new Error('login failed: ' + String(login.response.status));
  const headers = { authorization: 'Bearer ' + login.data.access_token };
  const session = await client.GET('/api/v1/auth/session', { headers });
  if (session.data === undefined) throw new Error('session failed: ' + String(session.response.status));
  const organizations = await client.GET('/api/v1/organizations', { headers, params: { query: { limit: 10 } } });
  if (organizations.data === undefined) throw new Error('organizations failed: ' + String(organizations.response.status));
  return { userId: session.data.user.id, sessionUserEmail: session.data.user.email, organizationNames: organizations.data.items.map((org) => org.name) };
}
`;

/** Code a generated client must refuse to compile: a route that does not exist, and a wrong body. */
const WRONG = `import createClient from 'openapi-fetch';
import type { paths } from './parapet-api.ts';
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1' });
export const a = client.GET('/api/v1/no-such-route');
export const b = client.POST('/api/v1/auth/login', { body: { email: 'x@example.com' } });
`;

function compile(dir: string, file: string): string[] {
  const program = ts.createProgram([join(dir, file)], {
    strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: true,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023,
    allowImportingTsExtensions: true, verbatimModuleSyntax: true, types: [],
  });
  // "<file>:<line>: <message>", so a test can say which line was refused.
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file === undefined ? '' : `${d.file.fileName.slice(dir.length + 1)}:${String(d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1)}`}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch) against a running Parapet', () => {
  let t: TestApp;
  let url: string;
  let dir: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await createTestApp({ env: { PARAPET_PUBLIC_URL: url } });
    await t.app.http.listen({ port, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'parapet-generated-client-'));
    // The generated code resolves openapi-fetch as an app would, from node_modules.
    symlinkSync(new URL('../../node_modules', import.meta.url), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const document = await (await fetch(`${url}/openapi.json`)).text();
    writeFileSync(join(dir, 'parapet-api.ts'), astToString(await openapiTS(document)));
    writeFileSync(join(dir, 'client.ts'), CLIENT);
    writeFileSync(join(dir, 'wrong.ts'), WRONG);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the generated types and the client compile under strict tsc; calls the document does not allow do not', () => {
    assert.deepEqual(compile(dir, 'client.ts'), []);
    const wrong = compile(dir, 'wrong.ts');
    // Line 4 names a route the document does not have; line 5 leaves out a required field.
    assert.ok(wrong.some((message) => message.startsWith('wrong.ts:4:')), wrong.join('\n'));
    assert.ok(wrong.some((message) => message.startsWith('wrong.ts:5:') && message.includes("Property 'password' is missing")), wrong.join('\n'));
  });

  it('the client signs in for a token, reads its session and lists its organizations', async () => {
    const email = `generated-${crypto.randomUUID()}@example.com`;
    const user = await t.createUser(email, TEST_PASSWORD);
    const created = await t.inject({ method: 'POST', url: '/api/v1/organizations', payload: { name: 'Generated Co' }, headers: { cookie: await t.login(email, TEST_PASSWORD) } });
    assert.equal(created.statusCode, 201, created.body);
    const { callThreeRoutes } = (await import(pathToFileURL(join(dir, 'client.ts')).href)) as { callThreeRoutes: (baseUrl: string, email: string, password: string) => Promise<unknown> };
    const calls = await callThreeRoutes(url, email, TEST_PASSWORD);
    assert.deepEqual(calls, { userId: user.id, sessionUserEmail: email, organizationNames: ['Generated Co'] });
  });
});
