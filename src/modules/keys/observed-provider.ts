import type { KeyProvider } from '../../platform/crypto/key-provider.ts';

/** Told of each failed call of the root key provider: the operation, never key material. */
export type ProviderErrorListener = (operation: string, error: unknown) => void;

const OPERATIONS = ['primary', 'generateDataKey', 'wrap', 'unwrap', 'rotate', 'describe', 'destroy'] as const;

/**
 * The provider with every failed call reported to `listeners` before it is rethrown unchanged: a
 * KMS outage, a refused key, a wrapped key that does not open (ENC-2). The alerts module turns
 * them into a `key_provider_error` alert (IR-5); `/metrics` counts them.
 */
export function observedProvider(provider: KeyProvider, listeners: readonly ProviderErrorListener[]): KeyProvider {
  const observed: Record<string, unknown> = { kind: provider.kind };
  for (const operation of OPERATIONS) {
    const call = provider[operation].bind(provider) as (...args: unknown[]) => Promise<unknown>;
    observed[operation] = async (...args: unknown[]) => {
      try {
        return await call(...args);
      } catch (error) {
        for (const listener of listeners) {
          try {
            listener(operation, error);
          } catch {
            // A listener's failure never changes the provider's answer.
          }
        }
        throw error;
      }
    };
  }
  return observed as unknown as KeyProvider;
}
