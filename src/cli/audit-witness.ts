import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cosignerFromSeed, cosignerKeyString, isValidKeyName } from '../modules/audit/log/index.ts';
import { readCheckpointStore, writeCheckpointStore } from '../modules/audit/verify/checkpoint-store.ts';
import { witnessCheckpoint, type WitnessAnswer } from '../modules/audit/witness/index.ts';
import { systemClock } from '../platform/clock.ts';
import type { Command } from './context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface WitnessKeyFile {
  readonly format: 'parapet-witness-key/1';
  readonly name: string;
  readonly seed: string;
}

/** Loads the witness key, creating it (mode 0600, never overwriting) when `name` is given and the file is missing. */
function loadWitnessKey(path: string, name: string | undefined): WitnessKeyFile {
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as Partial<WitnessKeyFile>;
    if (file.format !== 'parapet-witness-key/1' || typeof file.name !== 'string' || typeof file.seed !== 'string') throw new Error(`${path} is not a Parapet witness key`);
    return file as WitnessKeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || name === undefined) throw error;
  }
  if (!isValidKeyName(name)) throw new Error('--name must be a key name without spaces or "+" (e.g. witness.example.com/parapet)');
  const file: WitnessKeyFile = { format: 'parapet-witness-key/1', name, seed: randomBytes(32).toString('base64') };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

/**
 * `parapet audit witness`: run by a customer on its own side. Fetches the newest checkpoint of its
 * organization's log with a consistency proof from the one it holds, checks both against the log
 * key it trusts, countersigns it (C2SP cosignature/v1) and keeps it, with its state, in local
 * files. A log that shrank or was rewritten is refused (exit 1) and the held checkpoint kept.
 */
export const auditWitness: Command = async (context) => {
  const { values } = parseArgs({
    args: [...context.args],
    options: {
      url: { type: 'string' }, org: { type: 'string' }, 'log-key': { type: 'string', multiple: true }, 'key-file': { type: 'string' }, name: { type: 'string' },
      state: { type: 'string' }, cosignatures: { type: 'string' }, 'token-file': { type: 'string' },
    },
    strict: true,
  });
  const { url, org, state, cosignatures } = values;
  const keyFile = values['key-file'];
  const tokenFile = values['token-file'];
  const logKeys = values['log-key'] ?? [];
  if (url === undefined || org === undefined || !UUID.test(org) || keyFile === undefined || state === undefined || cosignatures === undefined || tokenFile === undefined || logKeys.length === 0) {
    context.err('usage: parapet audit witness --url <Parapet URL> --org <organization id> --log-key <log verifier key> --token-file <file with an API key or token> --key-file <witness key file> [--name <witness name>, to create it] --state <file> --cosignatures <file>');
    return 2;
  }
  const tenantId = org.toLowerCase();
  let key: WitnessKeyFile;
  try {
    key = loadWitnessKey(keyFile, values.name);
  } catch (error) {
    context.err(`  ${(error as Error).message}`);
    return 2;
  }
  const now = systemClock.now();
  const cosigner = cosignerFromSeed(key.name, Buffer.from(key.seed, 'base64'), Math.floor(now.getTime() / 1000));
  context.out(`  witness key: ${cosignerKeyString(cosigner.name, cosigner.publicKey)}`);
  const token = readFileSync(tokenFile, 'utf8').trim();
  const fetchLatest = async (oldSize: number): Promise<WitnessAnswer> => {
    const response = await fetch(new URL(`/api/v1/organizations/${tenantId}/audit/witness?old=${oldSize}`, url), { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`the log answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as WitnessAnswer;
  };
  const held = readCheckpointStore(state);
  let result: Awaited<ReturnType<typeof witnessCheckpoint>>;
  try {
    result = await witnessCheckpoint({ tenantId, logKeys, held: held[tenantId], fetchLatest, cosigner, now });
  } catch (error) {
    context.err(`  ${(error as Error).message}`);
    return 2;
  }
  if (result.outcome === 'refused') {
    context.out(`  REFUSED (${result.reason}): ${result.detail}`);
    return 1;
  }
  if (result.outcome === 'unchanged') {
    context.out(`  unchanged: size ${result.stored.size}, witnessed on ${result.stored.at}`);
    return 0;
  }
  // The cosignature first: a crash before the state is written only means cosigning again.
  appendFileSync(cosignatures, `---\n${result.cosigned}`, { mode: 0o644 });
  writeCheckpointStore(state, { ...held, [tenantId]: result.stored });
  context.out(`  cosigned size ${result.stored.size} (consistent with size ${result.from} held before)`);
  return 0;
};
