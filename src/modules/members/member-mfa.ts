import type { AppTransactor } from '../../database.ts';
import type { FactorRegistry } from '../identity/index.ts';

/**
 * The second factors of each user, asked of the factor registry in one platform transaction (second
 * factors are platform data, invisible inside an organization's context). `enabled`: a primary
 * factor, so the password alone does not sign the user in.
 */
export function memberMfa(transactor: AppTransactor, registry: Pick<FactorRegistry, 'methodsFor' | 'anyPrimary'>) {
  return (userIds: readonly string[]) =>
    transactor.withPlatform(async (tx) => {
      const result = new Map<string, { methods: readonly string[]; enabled: boolean }>();
      for (const id of userIds) {
        const methods = await registry.methodsFor(id, tx);
        result.set(id, { methods, enabled: registry.anyPrimary(methods) });
      }
      return result;
    });
}
