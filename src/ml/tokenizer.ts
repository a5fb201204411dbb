// Byte-level BPE with the protocol's special tokens as single ids.
// Ids: special tokens first (so <|pad|> is 0), then the 256 bytes (any text encodes, nothing is lost),
// then the learned merges in the order they were learned.
import { z } from 'zod';
import type { GrammarVocabulary } from '../core/grammar';
import { EOS, SPECIAL_TOKENS } from '../core/protocol';

const BYTES = 256;
const TOKENIZER_VERSION = 2;

// Chunks merges never cross: a word of letters, ONE digit, a run of punctuation (underscores included) with at most one
// trailing space, or other whitespace. A word never carries a leading space, so a name or value is the same tokens
// wherever it stands (`open_document` in the tool list, in a think, inside a JSON call): copying is token for token,
// and an unseen tool name splits into familiar words at its underscores. Every character falls in a chunk.
const CHUNK = /[\p{L}\p{M}]+|\p{N}|[^\s\p{L}\p{M}\p{N}]+ ?|\s+/gu;

export const TokenizerJsonSchema = z
  .object({
    format: z.literal('asp-tokenizer'),
    /** 2: words without leading spaces (version 1 chunked differently; its merges would mis-encode). */
    version: z.literal(TOKENIZER_VERSION, { error: `tokenizer version must be ${TOKENIZER_VERSION} (older vocabularies chunk text differently: retrain)` }),
    specialTokens: z.array(z.string().min(1)).min(1),
    merges: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])),
  })
  .strict();
export type TokenizerJson = z.infer<typeof TokenizerJsonSchema>;

export class Tokenizer {
  readonly vocabSize: number;
  private readonly specialIds: Map<string, number>;
  private readonly specialRe: RegExp;
  /** Bytes of every non-special id (index = id - specials). */
  private readonly pieces: Uint8Array[];
  /** Merge rank by pair key; the merged id is firstMergeId + rank. */
  private readonly ranks = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(
    readonly specialTokens: readonly string[],
    readonly merges: readonly (readonly [number, number])[],
  ) {
    this.specialIds = new Map(specialTokens.map((t, i) => [t, i]));
    if (this.specialIds.size !== specialTokens.length) throw new Error('tokenizer: duplicate special token');
    // Longest first, so a special token that prefixes another never wins.
    const alternatives = [...specialTokens].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.specialRe = new RegExp(alternatives.join('|'), 'g');
    const base = specialTokens.length;
    this.pieces = Array.from({ length: BYTES }, (_, b) => Uint8Array.of(b));
    merges.forEach(([a, b], rank) => {
      const next = base + BYTES + rank;
      for (const id of [a, b]) {
        if (id < base || id >= next) {
          throw new Error(`tokenizer: merge ${rank} uses id ${id}, which is not a byte or an earlier merge (valid: ${base}..${next - 1})`);
        }
      }
      const key = pairKey(a, b);
      if (this.ranks.has(key)) throw new Error(`tokenizer: merge ${rank} (${a}, ${b}) is a duplicate`);
      this.ranks.set(key, rank);
      this.pieces.push(concat(this.pieces[a - base] as Uint8Array, this.pieces[b - base] as Uint8Array));
    });
    this.vocabSize = base + BYTES + merges.length;
  }

  /** Id of a special token; throws for anything else. */
  specialId(token: string): number {
    const id = this.specialIds.get(token);
    if (id === undefined) throw new Error(`tokenizer: ${JSON.stringify(token)} is not a special token`);
    return id;
  }

  /** Token ids of any text; special tokens are matched first and become single ids. */
  encode(text: string): number[] {
    const out: number[] = [];
    let at = 0;
    for (const m of text.matchAll(this.specialRe)) {
      this.encodeText(text.slice(at, m.index), out);
      out.push(this.specialIds.get(m[0]) as number);
      at = m.index + m[0].length;
    }
    this.encodeText(text.slice(at), out);
    return out;
  }

  /** Text of token ids; invalid UTF-8 (a cut-off generation) decodes to U+FFFD instead of failing. */
  decode(ids: readonly number[]): string {
    let out = '';
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) out += this.decoder.decode(Uint8Array.from(bytes));
      bytes = [];
    };
    const base = this.specialTokens.length;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new Error(`tokenizer: id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
      if (id < base) {
        flush();
        out += this.specialTokens[id];
      } else for (const b of this.pieces[id - base] as Uint8Array) bytes.push(b);
    }
    flush();
    return out;
  }

  /** The vocabulary as constrained decoding sees it (src/core/grammar). */
  grammarVocabulary(): GrammarVocabulary {
    const base = this.specialTokens.length;
    return {
      size: this.vocabSize,
      pieces: Array.from({ length: this.vocabSize }, (_, id) => (id < base ? null : (this.pieces[id - base] as Uint8Array))),
      specials: new Map(this.specialTokens.map((t, id) => [id, t])),
      eosId: this.specialId(EOS),
    };
  }

  toJSON(): TokenizerJson {
    return {
      format: 'asp-tokenizer',
      version: TOKENIZER_VERSION,
      specialTokens: [...this.specialTokens],
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }

  /** Rebuilds a tokenizer saved with toJSON; a malformed vocabulary fails with a message naming the problem. */
  static fromJSON(json: unknown): Tokenizer {
    const parsed = TokenizerJsonSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`tokenizer: invalid vocabulary at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    return new Tokenizer(parsed.data.specialTokens, parsed.data.merges);
  }

  private encodeText(text: string, out: number[]): void {
    if (!text) return;
    for (const [chunk] of text.matchAll(CHUNK)) {
      let ids = this.cache.get(chunk);
      if (!ids) {
        ids = this.bpe(chunk);
        // Bounded: rollouts see endless fresh strings (ids, amounts); the common chunks come right back.
        if (this.cache.size >= 50_000) this.cache.clear();
        this.cache.set(chunk, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** Applies the merges to one chunk, lowest rank first (the order they were learned). */
  private bpe(chunk: string): number[] {
    const base = this.specialTokens.length;
    const ids = Array.from(this.encoder.encode(chunk), (b) => base + b);
    const firstMerge = base + BYTES;
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.ranks.get(pairKey(ids[i] as number, ids[i + 1] as number));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) return ids;
      ids.splice(best, 2, firstMerge + bestRank);
    }
  }
}

/**
 * Learns `vocabSize - specials - 256` merges (fewer when no pair occurs twice) from a corpus.
 * Deterministic: the most frequent pair wins, ties go to the smallest (first id, second id).
 */
export function trainTokenizer(
  corpus: readonly string[],
  opts: { vocabSize: number; specialTokens?: readonly string[] },
): Tokenizer {
  const specialTokens = opts.specialTokens ?? SPECIAL_TOKENS;
  const base = specialTokens.length;
  const nMerges = opts.vocabSize - base - BYTES;
  if (!Number.isInteger(opts.vocabSize) || nMerges < 0) {
    throw new Error(`trainTokenizer: vocabSize must be an integer >= ${base + BYTES} (specials + bytes), got ${opts.vocabSize}`);
  }
  // Unique chunks with their counts: merges never cross chunks, so this is all the corpus says.
  const plain = new Tokenizer(specialTokens, []);
  const counts = new Map<string, number>();
  const specialRe = new RegExp([...specialTokens].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  for (const doc of corpus) {
    for (const part of doc.split(specialRe)) {
      for (const [chunk] of part.matchAll(CHUNK)) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
    }
  }
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [chunk, n] of counts) {
    words.push(plain.encode(chunk));
    freq.push(n);
  }
  // Pair counts and, per pair, the words containing it; updated only where a merge changes a word.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addWord = (w: number, sign: number): void => {
    const ids = words[w] as number[];
    for (let i = 0; i + 1 < ids.length; i++) {
      const key = pairKey(ids[i] as number, ids[i + 1] as number);
      pairCount.set(key, (pairCount.get(key) ?? 0) + sign * (freq[w] as number));
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  words.forEach((_, w) => addWord(w, 1));

  const merges: [number, number][] = [];
  while (merges.length < nMerges) {
    let bestKey = -1;
    let bestCount = 1; // a pair seen once compresses nothing worth a vocabulary slot
    for (const [key, n] of pairCount) {
      if (n > bestCount || (n === bestCount && bestKey >= 0 && key < bestKey)) {
        bestKey = key;
        bestCount = n;
      }
    }
    if (bestKey < 0) break;
    const a = Math.floor(bestKey / KEY_BASE);
    const b = bestKey % KEY_BASE;
    const merged = base + BYTES + merges.length;
    merges.push([a, b]);
    for (const w of pairWords.get(bestKey) ?? []) {
      addWord(w, -1);
      const ids = words[w] as number[];
      const next: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(ids[i] as number);
      }
      words[w] = next;
      addWord(w, 1);
    }
    pairWords.delete(bestKey);
    for (const [key, n] of pairCount) if (n <= 0) pairCount.delete(key);
  }
  return new Tokenizer(specialTokens, merges);
}

const KEY_BASE = 1 << 16;
const pairKey = (a: number, b: number): number => a * KEY_BASE + b;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
