// Constrained decoding on the model side: the grammar of src/core/grammar over this tokenizer's vocabulary, and the
// allowed sets turned into the additive logit bias that every training log-probability uses. Sampling, the GRPO ratio
// (old and new policy), the KL to the frozen base, entropy, the cold start and evaluation all see the same allowed
// sets, so the policy that is trained is the policy that acts (a mismatch would create spurious importance weights).
import * as tf from '@tensorflow/tfjs';
import type { Decoding } from '../core/config';
import { TokenMasker, TurnConstraint, hasToken, onlyToken, turnContext, type TokenSet } from '../core/grammar';
import { TOOL_HEADER, toolHeader } from '../core/protocol';
import type { ChatMessage, ToolSpec } from '../core/types';
import type { Choice, TokenConstraint } from './model';
import type { Tokenizer } from './tokenizer';

/** Logit of a token the grammar forbids: large and finite (−∞ would turn gradients into NaN). */
export const MASKED_LOGIT = -1e9;

const maskers = new WeakMap<Tokenizer, TokenMasker>();

/** The vocabulary trie of a tokenizer, built once. */
function maskerFor(tokenizer: Tokenizer): TokenMasker {
  let masker = maskers.get(tokenizer);
  if (!masker) maskers.set(tokenizer, (masker = new TokenMasker(tokenizer.grammarVocabulary())));
  return masker;
}

/** The grammar of the next assistant turn after `messages`, with `budget` tokens for it; null for free decoding. */
export function turnConstraint(
  tokenizer: Tokenizer,
  decoding: Decoding,
  tools: readonly ToolSpec[],
  messages: readonly ChatMessage[],
  budget: number,
): ToolTurnConstraint | null {
  return decoding === 'constrained' ? new ToolTurnConstraint({ masker: maskerFor(tokenizer), ctx: turnContext(tools, messages), budget }, tokenizer, tools) : null;
}

const HEADER_OPENING = `<think>${TOOL_HEADER}`;

/**
 * A turn's grammar that also names its choice among whole strings (TokenConstraint.choices): once the turn has written
 * the header's opening (`<think>Tool:`), the rest of each listed tool's header (its name, its [sensitive] mark and the
 * ". " that ends it) as the tokenizer spells it, with the allowed set of each of its tokens.
 */
export class ToolTurnConstraint extends TurnConstraint implements TokenConstraint {
  private readonly headers: string[];
  /** Set once the turn is past the point where a header's name is chosen: later tokens need not be decoded. */
  private past = false;

  constructor(
    private readonly grammar: { masker: TokenMasker; ctx: ReturnType<typeof turnContext>; budget: number },
    private readonly tokenizer: Tokenizer,
    tools: readonly ToolSpec[],
  ) {
    super(grammar.masker, grammar.ctx, grammar.budget);
    this.headers = tools.map((t) => `<think>${toolHeader(t)} `);
  }

  choices(turn: readonly number[]): Choice[] | null {
    if (this.past) return null;
    const text = this.tokenizer.decode([...turn]);
    if (!text.startsWith(HEADER_OPENING)) {
      // Still on the way to the opening, or a turn that took another way (a free think).
      if (!HEADER_OPENING.startsWith(text)) this.past = true;
      return null;
    }
    const open = this.headers.filter((h) => h.startsWith(text) && h.length > text.length);
    if (open.length === 0) this.past = true;
    return open.map((h) => {
      const tokens = this.tokenizer.encode(h.slice(text.length));
      // The same grammar replayed from the turn's start: this one stays where the turn is.
      const replay = new TurnConstraint(this.grammar.masker, this.grammar.ctx, this.grammar.budget);
      for (const id of turn) replay.advance(id);
      const allowed = tokens.map((id) => {
        const set = replay.allowed();
        replay.advance(id);
        return set;
      });
      return { tokens, allowed };
    });
  }
}

/**
 * The allowed sets of an assistant turn's tokens, replayed through its grammar: null where a token was the only one
 * allowed (it carries no choice and is left out of the loss). Throws when the turn leaves the grammar or its budget,
 * since then the cold start would teach text the policy can never write.
 */
export function replayTurn(constraint: TurnConstraint, ids: readonly number[], tokenizer: Tokenizer): (TokenSet | null)[] {
  return ids.map((id, i) => {
    const set = constraint.allowed();
    if (!hasToken(set, id)) {
      throw new Error(
        `constrained decoding: the turn ${JSON.stringify(tokenizer.decode([...ids]))} (${ids.length} tokens) leaves the grammar at token ${i} ` +
          `(${JSON.stringify(tokenizer.decode([id]))}): either it is not a well-formed turn or it does not fit the turn budget (grpo.maxNewTokens)`,
      );
    }
    constraint.advance(id);
    return onlyToken(set) >= 0 ? null : set;
  });
}

/**
 * [B, T-1, V] additive bias for sequenceLogProbs: row b, column t holds 0 for the tokens allowed as ids[t+1] and
 * MASKED_LOGIT for the others, wherever allowed[t+1] is set (elsewhere 0: free positions and non-targets).
 */
export function allowedBias(seqs: readonly { allowed: readonly (TokenSet | null)[] }[], T: number, vocabSize: number): tf.Tensor3D {
  const bias = new Float32Array(seqs.length * (T - 1) * vocabSize);
  seqs.forEach((s, b) => {
    for (let t = 1; t < Math.min(T, s.allowed.length); t++) {
      const set = s.allowed[t];
      if (!set) continue;
      const row = (b * (T - 1) + (t - 1)) * vocabSize;
      for (let v = 0; v < vocabSize; v++) if (!hasToken(set, v)) bias[row + v] = MASKED_LOGIT;
    }
  });
  return tf.tensor3d(bias, [seqs.length, T - 1, vocabSize]);
}

/** True when any sequence carries an allowed set (otherwise no bias is needed at all). */
export const anyConstrained = (seqs: readonly { allowed: readonly (TokenSet | null)[] }[]): boolean =>
  seqs.some((s) => s.allowed.some((a) => a !== null));
