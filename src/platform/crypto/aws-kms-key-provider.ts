import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { contextPairs, KeyProviderError, type KeyProvider, type WrapContext, type WrappedKey } from './key-provider.ts';

export interface AwsKmsOptions {
  /** Key id, ARN or alias of the symmetric KMS key that wraps tenant keys. */
  readonly keyId: string;
  readonly region: string;
  /** A KMS-compatible endpoint (moto_server in tests); unset means AWS's own. */
  readonly endpoint?: string;
  /** Tests pass credentials; otherwise the SDK's standard chain (AWS_* env, profile, instance role). */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long the primary version (key ARN and last rotation) is cached. */
  readonly primaryCacheMs?: number;
}

/** Turns any SDK failure into a message without request bodies (which carry key material). */
function failed(operation: string, error: unknown): KeyProviderError {
  const name = error instanceof Error ? error.name : 'Error';
  return new KeyProviderError(`AWS KMS ${operation} failed: ${name}`);
}

/**
 * The AWS KMS key provider (ENC-2): tenant keys come from GenerateDataKey and are unwrapped with
 * Decrypt, always with the wrap context as EncryptionContext, so KMS refuses to unwrap a key for
 * another tenant or version (and CloudTrail logs which tenant each call served). The root version
 * is the key's ARN; KMS keeps every backing key of a key, so rotation (RotateKeyOnDemand, or
 * KMS's own schedule) leaves old wrapped keys readable, and the rewrap job moves them to the new
 * backing key when they were wrapped before the latest rotation.
 */
export function createAwsKmsKeyProvider(options: AwsKmsOptions): KeyProvider {
  const client = new KMSClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
  const cacheMs = options.primaryCacheMs ?? 60_000;
  let cached: { value: { version: string; since: Date }; at: number } | undefined;

  async function rotations(keyId: string): Promise<Date[]> {
    try {
      const result = await client.send(new ListKeyRotationsCommand({ KeyId: keyId }));
      return (result.Rotations ?? []).flatMap((r) => (r.RotationDate === undefined ? [] : [r.RotationDate]));
    } catch {
      return [];
    }
  }

  async function primary(): Promise<{ version: string; since: Date }> {
    if (cached !== undefined && Date.now() - cached.at < cacheMs) return cached.value;
    let arn: string;
    let created: Date;
    try {
      const described = await client.send(new DescribeKeyCommand({ KeyId: options.keyId }));
      arn = described.KeyMetadata?.Arn ?? options.keyId;
      created = described.KeyMetadata?.CreationDate ?? new Date(0);
    } catch (error) {
      throw failed('DescribeKey', error);
    }
    const since = [created, ...(await rotations(arn))].reduce((a, b) => (b > a ? b : a));
    cached = { value: { version: arn, since }, at: Date.now() };
    return cached.value;
  }

  async function wrap(plaintext: Buffer, context: WrapContext): Promise<WrappedKey> {
    try {
      const result = await client.send(new EncryptCommand({ KeyId: options.keyId, Plaintext: plaintext, EncryptionContext: contextPairs(context) }));
      if (result.CiphertextBlob === undefined) throw new KeyProviderError('AWS KMS Encrypt returned no ciphertext');
      return { rootVersion: result.KeyId ?? (await primary()).version, ciphertext: Buffer.from(result.CiphertextBlob) };
    } catch (error) {
      throw error instanceof KeyProviderError ? error : failed('Encrypt', error);
    }
  }

  return {
    kind: 'aws-kms',
    primary,
    generateDataKey: async (context) => {
      try {
        const result = await client.send(new GenerateDataKeyCommand({ KeyId: options.keyId, KeySpec: 'AES_256', EncryptionContext: contextPairs(context) }));
        if (result.Plaintext === undefined || result.CiphertextBlob === undefined) throw new KeyProviderError('AWS KMS GenerateDataKey returned no key');
        return { plaintext: Buffer.from(result.Plaintext), wrapped: { rootVersion: result.KeyId ?? (await primary()).version, ciphertext: Buffer.from(result.CiphertextBlob) } };
      } catch (error) {
        throw error instanceof KeyProviderError ? error : failed('GenerateDataKey', error);
      }
    },
    wrap,
    unwrap: async (wrapped, context) => {
      try {
        const result = await client.send(new DecryptCommand({ KeyId: wrapped.rootVersion, CiphertextBlob: wrapped.ciphertext, EncryptionContext: contextPairs(context) }));
        if (result.Plaintext === undefined) throw new KeyProviderError('AWS KMS Decrypt returned no key');
        return Buffer.from(result.Plaintext);
      } catch (error) {
        throw error instanceof KeyProviderError ? error : failed('Decrypt', error);
      }
    },
    rotate: async () => {
      try {
        await client.send(new RotateKeyOnDemandCommand({ KeyId: options.keyId }));
      } catch (error) {
        throw failed('RotateKeyOnDemand', error);
      }
      cached = undefined;
      const current = await primary();
      // Make `since` at least now: tenant keys wrapped before this moment are rewrapped.
      const now = new Date();
      cached = { value: { version: current.version, since: current.since > now ? current.since : now }, at: Date.now() };
      return cached.value;
    },
    describe: async () => {
      const current = await primary();
      return { kind: 'aws-kms', location: current.version, versions: [{ version: current.version, createdAt: current.since, primary: true }] };
    },
    destroy: async (version) => {
      if (version === (await primary()).version) throw new KeyProviderError('the primary KMS key cannot be destroyed');
      try {
        await client.send(new ScheduleKeyDeletionCommand({ KeyId: version, PendingWindowInDays: 7 }));
      } catch (error) {
        throw failed('ScheduleKeyDeletion', error);
      }
    },
  };
}
