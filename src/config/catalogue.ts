import { MODULES } from '../modules/index.ts';
import { PLATFORM_OPTIONS, type OptionSpec } from './options.ts';

/**
 * Every configuration option: the platform's, then each module's (its manifest's `options`), in
 * module order. A function, not a constant: modules import config helpers, so this file is part of
 * an import cycle and must not read `MODULES` while modules are still being loaded.
 */
export function allOptions(): readonly OptionSpec[] {
  return [...PLATFORM_OPTIONS, ...MODULES.flatMap((module) => module.options ?? [])];
}
