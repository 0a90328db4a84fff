import { defineModule } from '../contract.ts';
import { registerConsoleRoutes } from './console-routes.ts';

declare module '../contract.ts' {
  interface ModuleApis {
    console: undefined;
  }
}

export const consoleModule = defineModule({
  name: 'console',
  summary: 'The web console: setup, sign-in with second factors and forced enrolment, mailed account links (static pages under a strict CSP).',
  dependsOn: [],
  tables: {},
  create: (ctx) => ({
    api: undefined,
    routes: () => {
      registerConsoleRoutes(ctx.http);
    },
  }),
});
