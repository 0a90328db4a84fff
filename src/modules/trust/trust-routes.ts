import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { TrustCenter } from './trust-center.ts';
import { PAGE_PATHS, PAGES } from './trust-pages.ts';

/** The public trust center: HTML pages, the stylesheet, signed evidence and security.txt. No script anywhere. */
export function registerTrustRoutes(app: FastifyInstance, center: TrustCenter): void {
  for (const page of PAGES) {
    app.get(PAGE_PATHS[page], { config: { auth: 'public' } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'public, max-age=60').send(await center.page(page)),
    );
  }
  app.get('/trust/trust.css', { config: { auth: 'public' } }, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(center.stylesheet));
  app.get('/trust/evidence.json', { config: { auth: 'public' } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=60').header('content-disposition', 'inline; filename="trust-evidence.json"').send(JSON.stringify(await center.evidence(), null, 2)),
  );
  // RFC 9116 §3: served at /.well-known/security.txt over HTTPS, text/plain; charset=utf-8.
  app.get('/.well-known/security.txt', { config: { auth: 'public' } }, async (_request, reply) => {
    const text = await center.securityTxt();
    if (text === undefined) throw new AppError('not_found');
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'public, max-age=3600').send(text);
  });
}
