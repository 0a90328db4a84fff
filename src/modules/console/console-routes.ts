import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const STATIC = new URL('./static/', import.meta.url);
const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

function load(file: string): { body: Buffer; type: string } {
  const extension = file.slice(file.lastIndexOf('.') + 1);
  return { body: readFileSync(new URL(file, STATIC)), type: TYPES[extension] ?? 'application/octet-stream' };
}

/** The minimal console: setup, sign-in, a landing page and mailed account links; static files read once at start. */
export function registerConsoleRoutes(app: FastifyInstance): void {
  const pages: Record<string, string> = { '/setup': 'setup.html', '/login': 'login.html', '/console': 'console.html' };
  // Mailed account links (docs/identity.md, docs/data-lifecycle.md) all open one page, which reads the path.
  for (const path of ['/accept-invitation', '/reset-password', '/verify-email', '/confirm-email', '/report-email-change', '/cancel-deletion']) pages[path] = 'account-link.html';
  for (const [path, file] of Object.entries(pages)) {
    const page = load(file);
    app.get(path, { config: { auth: 'public' } }, async (_request, reply) => reply.type(page.type).header('cache-control', 'no-store').send(page.body));
  }
  for (const file of ['setup.js', 'login.js', 'enrol.js', 'steps.js', 'api.js', 'webauthn.js', 'console.js', 'console.css', 'account-link.js']) {
    const asset = load(file);
    app.get(`/assets/${file}`, { config: { auth: 'public' } }, async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body));
  }
  app.get('/', { config: { auth: 'public' } }, async (_request, reply) => reply.redirect('/console'));
}
