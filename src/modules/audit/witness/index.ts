export { witnessCheckpoint, type WitnessAnswer, type WitnessOutcome } from './witness-checkpoint.ts';
export { witnessedCheckpoints } from './witnessed-checkpoints.ts';
