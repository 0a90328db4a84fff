import { addSignature, decodeBase64, openNote, parseCheckpoint, parseVerifierKey, verifyConsistency, type NoteSigner, type NoteVerifier } from '../log/index.ts';
import type { StoredCheckpoint } from '../verify/checkpoint-store.ts';

/** What `GET …/audit/witness?old=` answers. */
export interface WitnessAnswer {
  readonly checkpoint: string;
  readonly proof: readonly string[];
  readonly verifier_keys: readonly string[];
}

export type WitnessOutcome =
  | { readonly outcome: 'cosigned'; readonly stored: StoredCheckpoint; readonly cosigned: string; readonly from: number }
  | { readonly outcome: 'unchanged'; readonly stored: StoredCheckpoint }
  | { readonly outcome: 'refused'; readonly reason: 'unsigned' | 'wrong_log' | 'shrank' | 'forked'; readonly detail: string };

/**
 * One witnessing round for one organization's log, on the customer's side (C2SP tlog-witness
 * checks, pulled over the API instead of pushed by the log): fetch the newest checkpoint with a
 * consistency proof from the size held, check it is signed by the log's key and extends what the
 * witness saw before, and countersign it (cosignature/v1). A log that shrank or forked is refused
 * and the held checkpoint kept: that is the evidence.
 */
export async function witnessCheckpoint(input: {
  readonly tenantId: string;
  /** The log verifier keys the customer trusts (the same public key under other names is accepted). */
  readonly logKeys: readonly string[];
  readonly held: StoredCheckpoint | undefined;
  readonly fetchLatest: (oldSize: number) => Promise<WitnessAnswer>;
  readonly cosigner: NoteSigner;
  readonly now: Date;
}): Promise<WitnessOutcome> {
  const trusted = input.logKeys.map((key) => parseVerifierKey(key));
  const answer = await input.fetchLatest(input.held?.size ?? 0);
  const listed = answer.verifier_keys.map((key) => parseVerifierKey(key)).filter((v) => trusted.some((t) => Buffer.from(t.publicKey).equals(v.publicKey)));
  const verifiers: NoteVerifier[] = [...new Map([...trusted, ...listed].map((v) => [`${v.name}+${v.keyId}`, v])).values()];
  // tlog-witness (paraphrased, not looked up): the checkpoint must carry a valid signature by a key the witness trusts for its origin.
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(openNote(answer.checkpoint, verifiers).body);
  } catch (error) {
    return { outcome: 'refused', reason: 'unsigned', detail: `the checkpoint is not signed by the log's key: ${(error as Error).message}` };
  }
  if (!verifiers.some((v) => checkpoint.origin === `${v.name}/${input.tenantId}`)) {
    return { outcome: 'refused', reason: 'wrong_log', detail: `the checkpoint is of ${checkpoint.origin}, not of organization ${input.tenantId}'s log` };
  }
  const stored: StoredCheckpoint = { size: checkpoint.size, root: Buffer.from(checkpoint.root).toString('base64'), note: answer.checkpoint, at: input.now.toISOString() };
  const held = input.held;
  if (held !== undefined) {
    const heldRoot = decodeBase64(held.root) ?? new Uint8Array();
    // tlog-witness (paraphrased): a checkpoint smaller than the one held is refused.
    if (checkpoint.size < held.size) return { outcome: 'refused', reason: 'shrank', detail: `the log shrank: size ${held.size} was witnessed on ${held.at}, the log now offers ${checkpoint.size}` };
    const proof = answer.proof.map((line) => decodeBase64(line) ?? new Uint8Array());
    // tlog-witness (paraphrased): the consistency proof from the held size must verify.
    if (!verifyConsistency(held.size, checkpoint.size, heldRoot, checkpoint.root, proof)) {
      return { outcome: 'refused', reason: 'forked', detail: `size ${checkpoint.size} is not an extension of size ${held.size} witnessed on ${held.at}: the log's history was rewritten` };
    }
    if (checkpoint.size === held.size) return { outcome: 'unchanged', stored: held };
  }
  return { outcome: 'cosigned', stored, cosigned: addSignature(answer.checkpoint, input.cosigner), from: held?.size ?? 0 };
}
