// Starts the real moto_server (AWS API emulator) on a free port for KMS tests, and stops it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createAwsKmsKeyProvider } from '../../src/platform/crypto/aws-kms-key-provider.ts';
import { freePort } from './ports.ts';

export interface Moto {
  readonly endpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly region: string;
  /** Creates a symmetric KMS key and returns its id. */
  createKey(): Promise<string>;
  stop(): Promise<void>;
}

/** Why moto cannot run here, or undefined when it can. */
export function motoMissing(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' });
  return found.status === 0 ? undefined : 'moto_server is not on PATH (pip install "moto[server]")';
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('moto_server did not answer within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const region = 'us-east-1';
  const client = new KMSClient({ region, endpoint, credentials });
  return {
    endpoint,
    credentials,
    region,
    createKey: async () => {
      const created = await client.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
      return created.KeyMetadata?.KeyId ?? '';
    },
    stop: async () => {
      client.destroy();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Parapet's AWS KMS key provider pointed at this moto server, for the key `keyId`. */
export function motoKeyProvider(moto: Moto, keyId: string): ReturnType<typeof createAwsKmsKeyProvider> {
  return createAwsKmsKeyProvider({ keyId, region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
}
