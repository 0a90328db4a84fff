/**
 * The module contract's machinery, free of any domain knowledge: what a module declares about its
 * tables, a background job, and the composition of a list of modules in dependency order. The
 * app-specific side (the context every module receives, the typed registry of module APIs) is in
 * `src/modules/contract.ts`.
 */

import type { FastifyInstance } from 'fastify';
import { ParapetError } from './errors.ts';

/** Who a table's rows belong to. Platform tables say why they hold no tenant's data. */
export type TableScope = { readonly scope: 'tenant' } | { readonly scope: 'platform'; readonly reason: string };

/** A loop that runs on serving nodes (`serve`), never in the CLI or tests unless started. */
export interface BackgroundJob {
  readonly name: string;
  /** Starts the loop; the returned function stops it and resolves once it has stopped. */
  start(): () => Promise<void>;
}

/** What a module's `create` returns: its API for the modules that depend on it, and its parts. */
export interface ModuleInstance<Api> {
  readonly api: Api;
  /**
   * App-wide request hooks and request decorations (authentication, authorization, API-call
   * records): added to the root instance, every module's before any module's routes, so each
   * applies to every route of the app whatever module registers it.
   */
  readonly hooks?: (root: FastifyInstance) => void | Promise<void>;
  /**
   * The module's routes, in an encapsulated plugin of their own (`scope`): a hook, body parser,
   * error handler or decoration added here applies to this module's routes only. Runs once every
   * module has been created and every module's `hooks` added.
   */
  readonly routes?: (scope: FastifyInstance) => void | Promise<void>;
  readonly jobs?: readonly BackgroundJob[];
  /** Releases what the module holds (timers, buffers, connections); modules close in reverse order. */
  readonly close?: () => void | Promise<void>;
}

/** The part of a manifest the composition reads. */
export interface ComposableModule<Ctx, Api = unknown> {
  readonly name: string;
  readonly dependsOn: readonly string[];
  create(ctx: Ctx, deps: never): ModuleInstance<Api> | Promise<ModuleInstance<Api>>;
}

/** Raised when the module list cannot be composed: a missing or late dependency, a duplicate name. */
export class ModuleCompositionError extends ParapetError {
  readonly code = 'module_composition';
  override readonly name = 'ModuleCompositionError';
}

/**
 * Checks that every module's dependencies come before it in `modules` and that names are unique.
 * The list is the order of creation, so the check is the whole dependency resolution.
 */
export function checkModuleOrder(modules: readonly { readonly name: string; readonly dependsOn: readonly string[] }[]): void {
  const seen = new Set<string>();
  for (const module of modules) {
    if (seen.has(module.name)) throw new ModuleCompositionError(`module ${module.name} is listed twice`);
    for (const dependency of module.dependsOn) {
      if (!seen.has(dependency)) throw new ModuleCompositionError(`module ${module.name} depends on ${dependency}, which is not listed before it`);
    }
    seen.add(module.name);
  }
}

export interface ComposedModules {
  /** Each module's API by name. */
  readonly apis: ReadonlyMap<string, unknown>;
  readonly instances: readonly ModuleInstance<unknown>[];
  /** Every module's background jobs, in module order. */
  readonly jobs: readonly BackgroundJob[];
  /** Adds every module's app-wide hooks to `root`, then registers each module's routes as its own encapsulated plugin, in module order. */
  registerRoutes(root: FastifyInstance): Promise<void>;
  /** Closes every module in reverse order; one that fails does not stop the others. */
  close(): Promise<void>;
}

/**
 * Creates `modules` in list order, handing each the APIs of exactly the modules it depends on.
 * If a `create` throws, the modules already created are closed before the error propagates.
 */
export async function composeModules<Ctx>(ctx: Ctx, modules: readonly ComposableModule<Ctx>[]): Promise<ComposedModules> {
  checkModuleOrder(modules);
  const apis = new Map<string, unknown>();
  const instances: ModuleInstance<unknown>[] = [];
  async function close(): Promise<void> {
    const failures: unknown[] = [];
    for (const instance of [...instances].reverse()) {
      try {
        await instance.close?.();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'closing modules failed');
  }
  try {
    for (const module of modules) {
      const deps = Object.fromEntries(module.dependsOn.map((name) => [name, apis.get(name)]));
      // The registry is typed per manifest (src/modules/contract.ts); here every module is alike.
      const instance = await (module.create as (ctx: Ctx, deps: Record<string, unknown>) => ModuleInstance<unknown> | Promise<ModuleInstance<unknown>>)(ctx, deps);
      instances.push(instance);
      apis.set(module.name, instance.api);
    }
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return {
    apis,
    instances,
    jobs: instances.flatMap((instance) => instance.jobs ?? []),
    registerRoutes: async (root) => {
      // Hooks first: a child plugin copies its parent's hooks when it is created, and an onRoute
      // hook sees only routes added after it, so a hook added after some module's routes would
      // silently miss them.
      for (const instance of instances) await instance.hooks?.(root);
      for (const [index, instance] of instances.entries()) {
        const routes = instance.routes;
        if (routes === undefined) continue;
        const plugin = async (scope: FastifyInstance) => {
          await routes(scope);
        };
        // The plugin's name shows in Fastify's errors and printPlugins().
        Object.defineProperty(plugin, 'name', { value: `${modules[index]?.name ?? 'module'}-routes` });
        await root.register(plugin);
      }
    },
    close,
  };
}
