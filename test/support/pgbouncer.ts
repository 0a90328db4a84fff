// A PgBouncer in transaction-pooling mode in front of the test PostgreSQL server, started by the
// suite that needs it on a free loopback port (Debian's `pgbouncer`; .ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PG_ADMIN_URL } from './databases.ts';
import { freePort } from './ports.ts';

/** Why PgBouncer suites are skipped, or false when they can run. Fails instead when PARAPET_REQUIRE_PGBOUNCER=1. */
export function pgbouncerSkipReason(): string | false {
  if (spawnSync('pgbouncer', ['--version']).status === 0) return false;
  const reason = 'pgbouncer is not installed (apt-get install -y pgbouncer)';
  if (process.env['PARAPET_REQUIRE_PGBOUNCER'] === '1') throw new Error(`${reason}, and PARAPET_REQUIRE_PGBOUNCER=1 requires it`);
  process.stdout.write(`# skipped: ${reason}\n`);
  return reason;
}

export interface Pgbouncer {
  readonly port: number;
  /** `url` (a direct postgres:// URL to the test server) with host and port replaced by PgBouncer's. */
  through(url: string): string;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer (auth_type=trust, pool_mode=transaction, `poolSize` server connections per
 * user and database) forwarding every database to the test server, and waits until it accepts.
 */
export async function startPgbouncer(options: { poolSize?: number } = {}): Promise<Pgbouncer> {
  const server = new URL(PG_ADMIN_URL);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parapet-pgbouncer-'));
  // PgBouncer refuses to run as root; as root it is started with -u and must read its files.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'userlist.txt'), '"parapet_app" ""\n"parapet_owner" ""\n"postgres" ""\n', { mode: 0o644 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      'server_reset_query =',
      'logfile =',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const args = [join(dir, 'pgbouncer.ini'), ...(process.getuid?.() === 0 ? ['-u', 'postgres'] : [])];
  const child: ChildProcess = spawn('pgbouncer', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    through: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
