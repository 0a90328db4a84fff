import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** Registers OpenAPI 3.1 generation; must run before routes are added. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parapet API',
        version,
        description: 'Errors are RFC 9457 application/problem+json with a stable `code`. Console sessions use an HttpOnly cookie.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'parapet_session', description: '`__Host-parapet_session` when served over HTTPS' },
          bearer: { type: 'http', scheme: 'bearer', description: 'An access token (JWT) or an API key (`prk_…`)' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    hideUntagged: true,
    // Each operation names the permission it needs (`x-parapet-permission`), also in its description.
    transformObject: (documentObject) => {
      const document = (documentObject as { openapiObject: { paths?: Record<string, Record<string, { description?: string } & Record<string, unknown>>> } }).openapiObject;
      for (const route of app.parapetRoutes) {
        const operation = document.paths?.[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
        if (operation === undefined) continue;
        // OpenAPI 3.1 §4.8.10: an empty security array removes the document-wide requirement.
        if (route.permission === 'public' || route.auth === 'public') operation['security'] = [];
        if (route.permission === undefined) continue;
        operation['x-parapet-permission'] = route.permission;
        const needs = route.permission === 'public' ? 'No authentication.' : route.permission === 'self' ? 'Any signed-in user.' : `Requires the \`${route.permission}\` permission.`;
        operation.description = operation.description === undefined ? needs : `${operation.description}\n\n${needs}`;
      }
      return document;
    },
  });
}

interface OpenApiOperation {
  summary?: string;
  'x-parapet-permission'?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  tags?: string[];
}

const escapeHtml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A readable, script-free API reference rendered from the OpenAPI document. */
export function renderApiReference(document: { info: { title: string; version: string }; paths?: Record<string, Record<string, OpenApiOperation>> }): string {
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(document.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []).map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required === true ? ', required' : ''})</li>`).join('');
      const body = op.requestBody?.content?.['application/json']?.schema;
      const responses = Object.entries(op.responses ?? {})
        .map(([status, r]) => `<li><strong>${escapeHtml(status)}</strong> ${escapeHtml(r.description ?? '')}</li>`)
        .join('');
      sections.push(`<section><h3><span class="m">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? '')}</p>
${op['x-parapet-permission'] === undefined ? '' : `<p>Permission: <code>${escapeHtml(op['x-parapet-permission'])}</code></p>`}
${params === '' ? '' : `<h4>Parameters</h4><ul>${params}</ul>`}
${body === undefined ? '' : `<h4>Request body</h4><pre>${escapeHtml(JSON.stringify(body, null, 2))}</pre>`}
<h4>Responses</h4><ul>${responses}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} reference</title>
<link rel="stylesheet" href="/assets/console.css"></head><body><main>
<h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code> (RFC 9457) with a stable <code>code</code>.</p>
${sections.join('\n')}</main></body></html>`;
}
