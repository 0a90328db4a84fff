// Test-only: Debian's rsyslogd as a real RFC 5425 receiver (imtcp, gtls driver, TLS on), run in
// the foreground with a throwaway config, writing each message's parsed RFC 5424 fields to a file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestCertificates } from './tls-test-fixture.ts';
export { freePort } from '../../../test/support/ports.ts';

/** Why the rsyslog tests cannot run here, or false. */
export function rsyslogSkipReason(): string | false {
  const which = spawnSync('which', ['rsyslogd'], { encoding: 'utf8' });
  if (which.status !== 0) return 'rsyslogd is not installed (apt-get install -y rsyslog rsyslog-gnutls)';
  const modules = ['/usr/lib/x86_64-linux-gnu/rsyslog', '/usr/lib/aarch64-linux-gnu/rsyslog', '/usr/lib/rsyslog', '/usr/lib64/rsyslog'];
  if (!modules.some((dir) => existsSync(join(dir, 'lmnsd_gtls.so')))) return 'the rsyslog GnuTLS driver is not installed (apt-get install -y rsyslog-gnutls)';
  return false;
}

/** One received message: the fields rsyslog parsed out of it. */
export interface ReceivedMessage {
  readonly pri: number;
  readonly appName: string;
  readonly msgid: string;
  readonly structuredData: string;
  readonly msg: string;
}

export interface RsyslogReceiver {
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  received(): ReceivedMessage[];
}

async function accepting(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function createRsyslogReceiver(dir: string, certs: TestCertificates, port: number): RsyslogReceiver {
  mkdirSync(join(dir, 'work'), { recursive: true });
  const output = join(dir, 'received.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(
  workDirectory="${join(dir, 'work')}"
  maxMessageSize="64k"
  defaultNetstreamDriverCAFile="${certs.caFile}"
  defaultNetstreamDriverCertFile="${certs.certFile}"
  defaultNetstreamDriverKeyFile="${certs.keyFile}"
)
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
template(name="fields" type="string" string="%pri%\\t%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n")
ruleset(name="audit") {
  action(type="omfile" file="${output}" template="fields")
}
input(type="imtcp" port="${port}" address="127.0.0.1" ruleset="audit")
`,
  );
  let child: ChildProcess | undefined;
  const log: string[] = [];
  return {
    port,
    start: async () => {
      const proc = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
      proc.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
      try {
        await accepting(port, Date.now() + 10_000);
      } catch (error) {
        throw new Error(`${(error as Error).message}: ${log.join('')}`);
      }
    },
    stop: async () => {
      const proc = child;
      child = undefined;
      if (proc?.exitCode !== null || proc.pid === undefined) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    },
    received: () => {
      if (!existsSync(output)) return [];
      return readFileSync(output, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [pri = '', appName = '', msgid = '', structuredData = '', ...rest] = line.split('\t');
          return { pri: Number(pri), appName, msgid, structuredData, msg: rest.join('\t') };
        });
    },
  };
}
