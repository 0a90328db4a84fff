// The route inventory, read from the OpenAPI document so new modules are covered automatically.
import type { App } from '../../src/app.ts';
import { sampleFromSchema } from './schema-sample.ts';

export interface RouteInfo {
  readonly method: string;
  /** OpenAPI template, e.g. /api/v1/organizations/{orgId}. */
  readonly path: string;
  readonly params: readonly string[];
  readonly body: Record<string, unknown> | undefined;
  readonly query: readonly { name: string; required: boolean; schema: Record<string, unknown> }[];
  /** The permission the route declares (`x-parapet-permission`). */
  readonly permission: string | undefined;
}

interface Operation {
  'x-parapet-permission'?: string;
  parameters?: { name: string; in: string; required?: boolean; schema: Record<string, unknown> }[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
}

export function apiRoutes(app: App): RouteInfo[] {
  const doc = app.http.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
  const routes: RouteInfo[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      routes.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        body: op.requestBody?.content?.['application/json']?.schema,
        query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required === true, schema: p.schema })),
        permission: op['x-parapet-permission'],
      });
    }
  }
  return routes;
}

export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter ${name} in ${path}: register it in the suite's fixture`);
    return value;
  });
}

/** The route's URL with path parameters filled and every required query parameter given a valid sample. */
export function urlFor(route: RouteInfo, values: Readonly<Record<string, string>>): string {
  const path = fillPath(route.path, values);
  const query = route.query.filter((q) => q.required).map((q) => `${q.name}=${encodeURIComponent(String(sampleFromSchema(q.schema)))}`);
  return query.length === 0 ? path : `${path}?${query.join('&')}`;
}
