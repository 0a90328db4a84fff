import { defineModule } from '../contract.ts';
import { registerConsoleRoutes } from './console-routes.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    console: undefined;
  }
}

export const consoleModule = defineModule({
  name: 'console',
  summary: 'The web console: setup, sign-in, tenant administration, the account page and platform operations (ES modules under a strict CSP; docs/console.md).',
  dependsOn: ['access'],
  tables: {},
  create: (ctx, { access }) => ({
    api: undefined,
    routes: (http) => {
      registerConsoleRoutes(http, { access: access.control, now: () => ctx.clock.now() });
    },
  }),
});
