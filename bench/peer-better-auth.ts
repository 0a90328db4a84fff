// The peer of the socket benchmark (issue 16): Better Auth with its organization and bearer plugins
// on the same PostgreSQL server, serving one protected route over node:http that calls getSession,
// measured in the same run as Parapet's bearer and cookie GET of a project (bench/socket-route.ts).
//
// Better Auth is not a dependency of Parapet: the benchmark installs it into bench/.peer (git-ignored)
// with `npm install --prefix bench/.peer`, and when that fails (no registry, no network) the peer
// sides are reported as skipped with the reason. The peer gets its own fresh database on the server,
// migrated by Better Auth's own `getMigrations`, and a pg pool of the same size as Parapet's.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createServerDatabase } from '../test/support/databases.ts';

/** The packages installed for the peer (latest at install time; the version is printed). */
const PACKAGES = ['better-auth', 'pg'];
const PEER_DIR = join(dirname(fileURLToPath(import.meta.url)), '.peer');

/** The peer's re-exports, resolved from bench/.peer/node_modules. */
const ENTRY = `
export { betterAuth } from 'better-auth';
export { bearer, organization } from 'better-auth/plugins';
export { toNodeHandler, fromNodeHeaders } from 'better-auth/node';
export { default as pg } from 'pg';
export async function getMigrations(options) {
  try {
    return (await import('better-auth/db/migration')).getMigrations(options);
  } catch {
    return (await import('better-auth/db')).getMigrations(options);
  }
}
export async function version() {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(new URL('./node_modules/better-auth/package.json', import.meta.url), 'utf8')).version;
}
`;

interface PeerModule {
  betterAuth(options: object): { api: Record<string, (input: object) => Promise<unknown>> & { getSession(input: { headers: Headers }): Promise<{ session: unknown } | null> }; handler: unknown };
  bearer(): object;
  organization(): object;
  fromNodeHeaders(headers: object): Headers;
  getMigrations(options: object): Promise<{ runMigrations(): Promise<void> }>;
  version(): Promise<string>;
  pg: { Pool: new (options: object) => { end(): Promise<void> } };
}

export interface Peer {
  readonly version: string;
  readonly port: number;
  readonly path: string;
  readonly bearerHeaders: Record<string, string>;
  readonly cookieHeaders: Record<string, string>;
  close(): Promise<void>;
}

function npmInstall(): Promise<void> {
  mkdirSync(PEER_DIR, { recursive: true });
  if (!existsSync(join(PEER_DIR, 'package.json'))) writeFileSync(join(PEER_DIR, 'package.json'), '{ "private": true, "type": "module" }\n');
  return new Promise((resolve, reject) => {
    execFile('npm', ['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES], { timeout: 300_000 }, (error, _stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`npm install failed: ${(stderr || error.message).trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/** Installs Better Auth into bench/.peer when it is not there yet; the reason when that is impossible. */
async function loadPeer(): Promise<PeerModule | string> {
  try {
    if (!existsSync(join(PEER_DIR, 'node_modules', 'better-auth', 'package.json'))) await npmInstall();
    writeFileSync(join(PEER_DIR, 'entry.mjs'), ENTRY);
    return (await import(pathToFileURL(join(PEER_DIR, 'entry.mjs')).href)) as PeerModule;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Starts the peer: Better Auth (email and password, organization and bearer plugins, no cookie
 * cache, so every getSession reads its session like Parapet's first read of one), a signed-up user
 * who created an organization, and a node:http server answering GET `path` with the session's
 * user and active organization id after `auth.api.getSession` (401 without a session), and
 * everything else with Better Auth's own handler. Returns why it could not start instead.
 */
export async function startBetterAuthPeer(poolSize: number): Promise<Peer | string> {
  const peer = await loadPeer();
  if (typeof peer === 'string') return peer;
  const database = await createServerDatabase();
  const pool = new peer.pg.Pool({ connectionString: database.owner, max: poolSize });
  let server: Server | undefined;
  try {
    const options = {
      database: pool,
      secret: 'bench-secret-bench-secret-bench-secret-0123456789',
      baseURL: 'http://127.0.0.1',
      emailAndPassword: { enabled: true },
      plugins: [peer.organization(), peer.bearer()],
      logger: { level: 'error' },
      telemetry: { enabled: false },
    };
    const auth = peer.betterAuth(options);
    await (await peer.getMigrations(options)).runMigrations();
    const signUp = (await auth.api['signUpEmail']!({ body: { email: 'bench@example.com', password: 'a perfectly fine passphrase', name: 'bench' }, asResponse: true })) as Response;
    const token = signUp.headers.get('set-auth-token');
    const cookie = signUp.headers.get('set-cookie')?.split(';')[0];
    if (signUp.status !== 200 || token === null || cookie === undefined) throw new Error(`Better Auth sign-up failed: ${signUp.status} ${await signUp.text()}`);
    const headers = new Headers({ authorization: `Bearer ${token}` });
    await auth.api['createOrganization']!({ body: { name: 'bench', slug: 'bench' }, headers });
    const path = '/api/project';
    const handler = (auth as unknown as { handler: (request: Request) => Promise<Response> }).handler;
    server = createServer((request, response) => {
      void (async () => {
        try {
          if (request.url === path) {
            const session = (await auth.api.getSession({ headers: peer.fromNodeHeaders(request.headers) })) as { user: { id: string }; session: { activeOrganizationId?: string | null } } | null;
            if (session === null) {
              response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
              return;
            }
            response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: session.user.id, organization: session.session.activeOrganizationId ?? null }));
            return;
          }
          const answer = await handler(new Request(`http://127.0.0.1${request.url ?? '/'}`, { method: request.method ?? 'GET', headers: peer.fromNodeHeaders(request.headers) }));
          response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
        } catch (error) {
          response.writeHead(500).end(error instanceof Error ? error.message : 'error');
        }
      })();
    });
    const listening = server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const address = listening.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return {
      version: await peer.version(),
      port: address.port,
      path,
      bearerHeaders: { authorization: `Bearer ${token}` },
      cookieHeaders: { cookie },
      close: async () => {
        await new Promise<void>((resolve) => {
          listening.close(() => {
            resolve();
          });
        });
        await pool.end();
        await database.drop();
      },
    };
  } catch (error) {
    server?.close();
    await pool.end().catch(() => undefined);
    await database.drop().catch(() => undefined);
    return `Better Auth peer could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
}
