import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { startRuntime } from '../start.ts';
import { createRedirectServer, watchCertificates, type CertificateReloader } from '../platform/http/tls.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';
import { openOperatorSocket, type OperatorSocket } from './operator-socket.ts';

function listen(server: HttpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** `parapet serve`: migrate, listen, print where to go next, stop cleanly on SIGINT/SIGTERM. */
export const serve: Command = async ({ config, logger, out, pid, stopSignal, onReload, operatorCommands }) => {
  const lock = lockEmbeddedData(config, pid);
  let reloader: CertificateReloader | undefined;
  let stopReload: (() => void) | undefined;
  let redirect: HttpServer | undefined;
  let operator: OperatorSocket | undefined;
  try {
    const runtime = await startRuntime(config, logger, { background: true });
    let address: string;
    try {
      address = await runtime.app.http.listen({ host: config.host, port: config.port });
    } catch (error) {
      // EADDRINUSE and the like: a node that cannot listen must not linger holding database
      // connections and background leadership. Close what started, then fail the command.
      await runtime.close().catch(() => undefined);
      throw new Error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`, { cause: error });
    }
    if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) {
      // ENC-6: new certificate files (renewal) take effect on the next handshake, no restart.
      const server = runtime.app.http.server as unknown as HttpsServer;
      reloader = watchCertificates(server, { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }, logger);
      const current = reloader;
      stopReload = onReload(() => {
        current.reload();
      });
    }
    if (config.httpRedirectPort !== undefined) {
      redirect = createRedirectServer(config.publicUrl);
      await listen(redirect, config.host, config.httpRedirectPort);
    }
    // Embedded PGlite: operator commands cannot open the data while this process holds it, so they
    // are sent here over the owner-only operator socket and run on this process's database.
    if (config.databaseUrl === undefined && operatorCommands !== undefined) {
      const { setup } = runtime.app.services;
      operator = await openOperatorSocket({ config, logger, pid, commands: operatorCommands, attached: { db: runtime.db, issueSetupLink: (url) => setup.issueLink(url) } });
    }
    // One setup link per cluster: a node prints one only if no live link exists.
    const setup = await runtime.app.services.setup.issueFirstLink(config.publicUrl);
    out('');
    out(`  Parapet is running at ${config.publicUrl}   (listening on ${address})`);
    const redirectAddress = redirect?.address();
    if (redirectAddress !== undefined && redirectAddress !== null && typeof redirectAddress !== 'string') {
      out(`  Plain HTTP on port ${redirectAddress.port} answers 308 to ${config.publicUrl}`);
    }
    out(`  Database: ${runtime.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}/pgdata` : 'PostgreSQL server'}; keyring: ${config.keyringPath}`);
    if (operator !== undefined) out('  Operator commands (`npx parapet doctor`, `keys status`, `audit verify --org` …) run inside this server while it runs.');
    if (setup !== undefined && 'link' in setup) {
      out('');
      out('  No administrator exists yet. Open this one-time link within 1 hour to create one:');
      out(`    ${setup.link}`);
      out('  (`npx parapet setup-link` prints a fresh link.)');
    } else if (setup !== undefined) {
      out('');
      out(`  No administrator exists yet. A one-time setup link was already issued (by this or another node; valid until ${setup.issuedUntil.toISOString()}).`);
      out('  (`npx parapet setup-link` prints a fresh link and voids that one.)');
    } else {
      out(`  Sign in at ${config.publicUrl}/login — API reference at ${config.publicUrl}/docs/api`);
    }
    out('');
    const signal = await stopSignal;
    logger.info({ signal }, 'stopping');
    const closing = redirect;
    redirect = undefined;
    if (closing !== undefined) {
      await new Promise<void>((resolve) => {
        closing.close(() => {
          resolve();
        });
        closing.closeAllConnections();
      });
    }
    const socket = operator;
    operator = undefined;
    await socket?.close();
    await runtime.close();
    return 0;
  } finally {
    await operator?.close().catch(() => undefined);
    stopReload?.();
    reloader?.close();
    redirect?.close();
    lock.release();
  }
};
