export { registerConsoleRoutes } from './console-routes.ts';
export { consoleModule } from './module.ts';
