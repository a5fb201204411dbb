// The cold start's copy warm-up: a random token string, then the same string again, scored on the repeat.
// An agent copies tool names, ids and argument values from its context; a small model trained on transcripts alone
// did not learn to (it wrote `o-6666…` for `o-6286` after 900 steps). This task forms the induction heads first:
// "find where the current token occurred before, copy what followed". Small alphabets make one-token matches
// ambiguous, so longer matches pay, as in ids like `o-6286` built from a few digits.
import type { Rng } from '../core/rng';

/** Strings per copy step (they are short: 20 to 100 tokens). */
export const COPY_BATCH = 32;
/** Alphabet sizes drawn per string; 0 stands for the whole vocabulary. */
const ALPHABETS = [6, 12, 40, 0];
const MIN_LENGTH = 10;
const MAX_LENGTH = 50;

/**
 * One copy sample over the ordinary tokens [firstId, vocabSize): ids = s s, mask = 1 on the repeat after its first
 * token (the first token of the repeat cannot be known).
 */
export function copySample(rng: Rng, firstId: number, vocabSize: number): { ids: number[]; mask: number[] } {
  const span = vocabSize - firstId;
  if (!Number.isInteger(firstId) || firstId < 0 || span < 2) throw new Error(`copySample: need at least 2 ordinary tokens, got ids ${firstId}..${vocabSize - 1}`);
  const k = Math.min(rng.pick(ALPHABETS) || span, span);
  const alphabet = Array.from({ length: k }, () => firstId + rng.int(0, span - 1));
  const s = Array.from({ length: rng.int(MIN_LENGTH, MAX_LENGTH) }, () => rng.pick(alphabet));
  return { ids: [...s, ...s], mask: [...s.map(() => 0), 0, ...s.slice(1).map(() => 1)] };
}
