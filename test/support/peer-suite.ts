// Suites that need a peer (a PostgreSQL server, Redis, rsyslogd, testssl.sh, moto, a browser).
import { describe, it } from 'node:test';

/**
 * `describe(name, fn)`, or — when `skip` gives a reason (the peer is missing) — one skipped test
 * named after the suite that carries the reason. node:test neither runs a skipped suite's body
 * nor counts its tests as skipped, so a run without the peer summarised "skipped 0"; this way the
 * summary's skipped count and the reason show that something did not run.
 */
export function peerSuite(name: string, skip: string | boolean | undefined, fn: () => void): void {
  if (skip === undefined || skip === false) {
    describe(name, fn);
    return;
  }
  it(name, { skip: skip === true ? 'a peer this suite needs is missing' : skip }, () => undefined);
}
