import { openNote, parseCosignerKey } from '../log/index.ts';

/**
 * The checkpoints among `notes` that a trusted witness cosigned (cosignature/v1), for a verifier
 * to hold the log to: a log shorter than one of them lost its tail, one with another root there
 * was rewritten. A note no trusted witness cosigned is refused, so a file of cosignatures cannot be
 * padded with checkpoints the witness never saw.
 */
export function witnessedCheckpoints(notes: readonly string[], witnessKeys: readonly string[]): string[] {
  const witnesses = witnessKeys.map((key) => parseCosignerKey(key));
  return notes.map((note, i) => {
    try {
      openNote(note, witnesses);
    } catch (error) {
      throw new Error(`cosignature ${i + 1} is not cosigned by a trusted witness: ${(error as Error).message}`, { cause: error });
    }
    return note;
  });
}
