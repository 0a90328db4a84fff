export { registerConsoleRoutes } from './console-routes.ts';
