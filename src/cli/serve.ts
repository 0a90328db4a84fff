import { startRuntime } from '../start.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';

/** `parapet serve`: migrate, listen, print where to go next, stop cleanly on SIGINT/SIGTERM. */
export const serve: Command = async ({ config, logger, out, pid, stopSignal }) => {
  const lock = lockEmbeddedData(config, pid);
  try {
    const runtime = await startRuntime(config, logger, { background: true });
    const address = await runtime.app.http.listen({ host: config.host, port: config.port });
    const link = await runtime.app.services.setup.issueLink(config.publicUrl);
    out('');
    out(`  Parapet is running at ${config.publicUrl}   (listening on ${address})`);
    out(`  Database: ${runtime.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}/pgdata` : 'PostgreSQL server'}; keyring: ${config.keyringPath}`);
    if (link !== undefined) {
      out('');
      out('  No administrator exists yet. Open this one-time link within 1 hour to create one:');
      out(`    ${link}`);
      out('  (`npx parapet setup-link` prints a fresh link.)');
    } else {
      out(`  Sign in at ${config.publicUrl}/login — API reference at ${config.publicUrl}/docs/api`);
    }
    out('');
    const signal = await stopSignal;
    logger.info({ signal }, 'stopping');
    await runtime.close();
    return 0;
  } finally {
    lock.release();
  }
};
