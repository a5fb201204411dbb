// The grammar as a mask over a tokenizer's vocabulary (after lm-format-enforcer and llama.cpp): the pieces of all
// tokens form a byte trie, walked together with the grammar state, so a whole subtree of tokens is dropped at the
// first byte the grammar rejects. A token that spans several grammar parts (`",`) just advances it several steps.
// Special tokens are atomic: they are only ever their own ids, because the pieces of the byte tokens can never spell
// a tag (free text holds no '<').
import { FreeText, isFreeByte, turnGrammar, type GrammarState, type TurnContext } from './turn';

interface VocabNode {
  children: Map<number, VocabNode>;
  /** The token whose piece ends here, or -1. */
  id: number;
}

/** A tokenizer's vocabulary as the grammar sees it: byte pieces for ordinary tokens, texts for special ones. */
export interface GrammarVocabulary {
  size: number;
  /** The bytes of each ordinary token (null for special tokens). */
  pieces: readonly (Uint8Array | null)[];
  /** Special token texts by id (e.g. '<think>'). */
  specials: ReadonlyMap<number, string>;
  /** The end-of-turn token. */
  eosId: number;
}

/** Allowed next tokens as a bit set over the vocabulary. */
export type TokenSet = Uint32Array;

export const hasToken = (set: TokenSet, id: number): boolean => ((set[id >>> 5] as number) & (1 << (id & 31))) !== 0;
const addToken = (set: TokenSet, id: number): void => {
  set[id >>> 5] = (set[id >>> 5] as number) | (1 << (id & 31));
};
export function tokenCount(set: TokenSet): number {
  let n = 0;
  for (let w of set) {
    while (w !== 0) {
      w &= w - 1;
      n++;
    }
  }
  return n;
}
/** The only member of a one-token set, or -1. */
export function onlyToken(set: TokenSet): number {
  let found = -1;
  for (let i = 0; i < set.length; i++) {
    const w = set[i] as number;
    if (w === 0) continue;
    if (found >= 0 || (w & (w - 1)) !== 0) return -1;
    found = i * 32 + (31 - Math.clz32(w));
  }
  return found;
}

/** The vocabulary trie and the per-length lists that free text uses, built once per tokenizer. */
export class TokenMasker {
  private readonly root: VocabNode = { children: new Map(), id: -1 };
  /** Ordinary tokens made only of free-text bytes, by piece length. */
  private readonly freeByLength: number[][] = [];
  private readonly words: number;

  constructor(readonly vocab: GrammarVocabulary) {
    this.words = Math.ceil(vocab.size / 32);
    vocab.pieces.forEach((piece, id) => {
      if (!piece || piece.length === 0) return;
      let node = this.root;
      for (const b of piece) {
        let child = node.children.get(b);
        if (!child) node.children.set(b, (child = { children: new Map(), id: -1 }));
        node = child;
      }
      node.id = id;
      if (piece.every(isFreeByte)) (this.freeByLength[piece.length] ??= []).push(id);
    });
  }

  /** The start of a turn's grammar, its costs counted in this vocabulary's tokens. */
  start(ctx: TurnContext): GrammarState {
    return turnGrammar(ctx, this.spell);
  }

  /** Tokens of a greedy longest-match spelling of the bytes (every byte is a token, so it always succeeds). */
  readonly spell = (bytes: Uint8Array): number => {
    let n = 0;
    for (let at = 0; at < bytes.length; n++) {
      let node = this.root;
      let longest = 1;
      for (let i = at; i < bytes.length; i++) {
        const child = node.children.get(bytes[i] as number);
        if (!child) break;
        node = child;
        if (child.id >= 0) longest = i - at + 1;
      }
      at += longest;
    }
    return n;
  };

  /**
   * The tokens that keep the turn a valid prefix and can still finish it within `budget` tokens (this one included).
   * Never empty: where nothing fits (a budget too small for any turn) only end-of-turn is allowed, and the turn ends
   * malformed.
   */
  allowed(state: GrammarState, budget: number): TokenSet {
    const set = new Uint32Array(this.words);
    const fits = (s: GrammarState | null): s is GrammarState => s !== null && 1 + s.rest <= budget;
    for (const [id, text] of this.vocab.specials) if (fits(state.special(text))) addToken(set, id);
    if (state instanceof FreeText) {
      // Every free byte keeps free text going, so only the length cap and the budget decide.
      if (1 + state.rest <= budget) {
        const room = state.cap - state.used;
        for (let len = 1; len <= room && len < this.freeByLength.length; len++) for (const id of this.freeByLength[len] ?? []) addToken(set, id);
      }
    } else {
      this.walk(this.root, state, set, fits);
    }
    if (set.every((w) => w === 0)) addToken(set, this.vocab.eosId);
    return set;
  }

  private walk(node: VocabNode, state: GrammarState, set: TokenSet, fits: (s: GrammarState | null) => boolean): void {
    for (const [b, child] of node.children) {
      const next = state.byte(b);
      if (next === null) continue;
      if (child.id >= 0 && fits(next)) addToken(set, child.id);
      if (child.children.size > 0) this.walk(child, next, set, fits);
    }
  }

  /** The state after a token, or null when the grammar does not allow it. */
  advance(state: GrammarState, id: number): GrammarState | null {
    const text = this.vocab.specials.get(id);
    if (text !== undefined) return state.special(text);
    const piece = this.vocab.pieces[id];
    if (!piece || piece.length === 0) return null;
    let s: GrammarState | null = state;
    for (const b of piece) {
      s = s.byte(b);
      if (s === null) return null;
    }
    return s;
  }
}

/**
 * One turn being decoded under the grammar: the allowed set for the next token, then the chosen token.
 * `budget` is the turn's token limit (maxNewTokens).
 */
export class TurnConstraint {
  private state: GrammarState | null;
  private used = 0;

  constructor(
    private readonly masker: TokenMasker,
    ctx: TurnContext,
    private readonly budget: number,
  ) {
    this.state = masker.start(ctx);
  }

  allowed(): TokenSet {
    if (this.state === null) {
      const set = new Uint32Array(Math.ceil(this.masker.vocab.size / 32));
      addToken(set, this.masker.vocab.eosId);
      return set;
    }
    return this.masker.allowed(this.state, this.budget - this.used);
  }

  /** Moves past a token (one from the allowed set; anything else leaves the turn off the grammar). */
  advance(id: number): void {
    this.used++;
    this.state = this.state === null ? null : this.masker.advance(this.state, id);
  }
}
