// A small decoder-only transformer on raw TensorFlow.js ops, readable top to bottom (after nanoGPT):
// token embeddings, order seen through ALiBi (a per-head penalty on each key's distance; the shipped checkpoints made
// before it add learned position embeddings instead), pre-LayerNorm blocks (causal multi-head attention, GELU MLP),
// final LayerNorm, output head tied to the token embedding (saves vocabSize × dModel parameters).
// Keys are "smeared": each key also sees the previous token, so one layer can form an induction head
// (find where the current token occurred before, copy what followed) — the agent copies tool names,
// ids and argument values from its context (after 100 cold-start steps, test-split format errors were 40% with
// smeared keys against 98% without, same data and seed).
// Two wasm traps shape the code: tf.gather has no gradient there (embeddings get a one-hot gradient, see embed),
// and its matMul with a transpose flag is ~10x slower than without (dense products go through `linear`).
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { headsDivideWidth, ModelShapeSchema } from '../core/config';
import { onlyToken, hasToken, type TokenSet } from '../core/grammar';
import { Rng } from '../core/rng';

export const LmConfigSchema = ModelShapeSchema.extend({
  vocabSize: z.number().int().min(2),
  /** Seeds the weight initialisation. */
  seed: z.number().int(),
}).refine(...headsDivideWidth);
export type LmConfig = z.infer<typeof LmConfigSchema>;

/** Weights as plain arrays, for checkpoints and transfer between workers. */
export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy (argmax, ties to the lowest id). */
  temperature: number;
  /** Sample among the k most likely tokens; 0 = all. */
  topK: number;
  /** A row stops after emitting this id (included in its tokens). */
  stopId?: number;
  seed: number;
  /**
   * Per prompt, the grammar that constrains its continuation (constrained decoding), or null/absent for free
   * decoding. The policy is then the model's distribution renormalised over the allowed tokens.
   */
  constraints?: readonly (TokenConstraint | null)[];
}

/** What generate needs of a grammar: the allowed next tokens, and the token chosen. */
export interface TokenConstraint {
  allowed(): TokenSet;
  advance(id: number): void;
  /**
   * Where the grammar allows one of a few whole strings next (the listed tools' names), each one's tokens and their
   * allowed sets, given the turn's tokens so far; null elsewhere. Greedy decoding then writes one whole (see generate).
   */
  choices?(turn: readonly number[]): Choice[] | null;
}

/** One string of a whole choice: its tokens, and the allowed set of each under the grammar. */
export interface Choice {
  tokens: number[];
  allowed: TokenSet[];
}

export interface Generation {
  /** New tokens per prompt, the stop token included when reached. */
  tokens: number[][];
  /**
   * log p(token | prefix) under the policy (temperature 1, no top-k), per new token: the model's distribution,
   * renormalised over the allowed tokens where the row is constrained.
   */
  logProbs: number[][];
  /** Per new token, the allowed set it was chosen from; null where decoding was free or only one token was allowed. */
  allowed: (TokenSet | null)[][];
  /** Per new token, the exact entropy of the distribution it was drawn from (0 where only one token was allowed). */
  entropy: number[][];
  /** The row emitted stopId. */
  stopped: boolean[];
}

const NEG = -1e9; // additive attention mask; finite so a fully masked (padding) row gives no NaN
/** Prompts a prefill takes at once (see TransformerLM.prefill): at the release size (4 heads, L = 768) one copy of a row's scores is 9.4 MB. */
const PREFILL_ROWS = 16;
const LN_EPS = 1e-5;

type Init = 'normal' | 'residual' | 'zeros' | 'ones';

/** Parameter names, shapes and initialisations, in a fixed order (the checkpoint order). */
export function parameterSpecs(c: LmConfig): { name: string; shape: number[]; init: Init }[] {
  const d = c.dModel;
  const specs: { name: string; shape: number[]; init: Init }[] = [
    { name: 'tok_emb', shape: [c.vocabSize, d], init: 'normal' },
    ...(c.positions === 'alibi' ? [] : [{ name: 'pos_emb', shape: [c.contextLength, d], init: 'normal' as const }]),
  ];
  for (let l = 0; l < c.nLayers; l++) {
    specs.push(
      { name: `h${l}.ln1.g`, shape: [d], init: 'ones' },
      { name: `h${l}.ln1.b`, shape: [d], init: 'zeros' },
      { name: `h${l}.attn.wqkv`, shape: [d, 3 * d], init: 'normal' },
      { name: `h${l}.attn.bqkv`, shape: [3 * d], init: 'zeros' },
      { name: `h${l}.attn.wkprev`, shape: [d, d], init: 'normal' },
      { name: `h${l}.attn.wo`, shape: [d, d], init: 'residual' },
      { name: `h${l}.attn.bo`, shape: [d], init: 'zeros' },
      { name: `h${l}.ln2.g`, shape: [d], init: 'ones' },
      { name: `h${l}.ln2.b`, shape: [d], init: 'zeros' },
      { name: `h${l}.mlp.w1`, shape: [d, c.dFF], init: 'normal' },
      { name: `h${l}.mlp.b1`, shape: [c.dFF], init: 'zeros' },
      { name: `h${l}.mlp.w2`, shape: [c.dFF, d], init: 'residual' },
      { name: `h${l}.mlp.b2`, shape: [d], init: 'zeros' },
    );
  }
  specs.push({ name: 'ln_f.g', shape: [d], init: 'ones' }, { name: 'ln_f.b', shape: [d], init: 'zeros' });
  return specs;
}

/** Seeded GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 × layers). */
function initValues(c: LmConfig, name: string, size: number, init: Init): Float32Array {
  const out = new Float32Array(size);
  if (init === 'ones') return out.fill(1);
  if (init === 'zeros') return out;
  const std = init === 'residual' ? 0.02 / Math.sqrt(2 * c.nLayers) : 0.02;
  const rng = new Rng(c.seed).fork(name);
  for (let i = 0; i < size; i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const t = 2 * Math.PI * rng.next();
    out[i] = std * r * Math.cos(t);
    if (i + 1 < size) out[i + 1] = std * r * Math.sin(t);
  }
  return out;
}

// A type alias (not an interface) so tf.tidy accepts it as a TensorContainer.
// `last` is the layer input at the newest position, the "previous token" of the next step's smeared key.
type KV = { k: tf.Tensor4D; v: tf.Tensor4D; last: tf.Tensor3D };

export class TransformerLM {
  readonly config: LmConfig;
  private readonly params = new Map<string, tf.Variable>();

  /** A freshly initialised model (seeded by config.seed); `trainable: false` for a frozen copy. */
  constructor(config: LmConfig, opts: { trainable?: boolean } = {}) {
    const parsed = LmConfigSchema.safeParse(config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`model config: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
    }
    this.config = parsed.data;
    for (const { name, shape, init } of parameterSpecs(this.config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const value = tf.tensor(initValues(this.config, name, size, init), shape, 'float32');
      this.params.set(name, tf.variable(value, opts.trainable ?? true));
      value.dispose();
    }
  }

  /** The model's variables in checkpoint order (pass them as varList to restrict gradients to this model). */
  get variables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    return this.variables.reduce((a, v) => a + v.size, 0);
  }

  /** Copies all weights to plain arrays. */
  async getWeights(): Promise<NamedWeight[]> {
    return Promise.all(
      [...this.params].map(async ([name, v]) => ({ name, shape: [...v.shape], values: (await v.data()) as Float32Array })),
    );
  }

  /** Replaces all weights; every parameter must be given once with its exact shape and finite values. */
  setWeights(weights: readonly NamedWeight[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const w of weights) if (!this.params.has(w.name)) throw new Error(`setWeights: unknown weight ${w.name}`);
    for (const [name, v] of this.params) {
      const w = byName.get(name);
      if (!w) throw new Error(`setWeights: missing weight ${name}`);
      if (w.shape.length !== v.shape.length || w.shape.some((s, i) => s !== v.shape[i])) {
        throw new Error(`setWeights: ${name} has shape [${w.shape}], expected [${v.shape}]`);
      }
      if (w.values.length !== v.size) throw new Error(`setWeights: ${name} has ${w.values.length} values, expected ${v.size}`);
      if (!w.values.every(Number.isFinite)) throw new Error(`setWeights: ${name} contains NaN or infinite values`);
    }
    for (const [name, v] of this.params) {
      const w = byName.get(name) as NamedWeight;
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape, 'float32')));
    }
  }

  /** A copy with the same weights; frozen (not trainable) by default, as the reference of the KL term. */
  clone(opts: { trainable?: boolean } = {}): TransformerLM {
    const copy = new TransformerLM(this.config, { trainable: opts.trainable ?? false });
    for (const [name, v] of this.params) (copy.params.get(name) as tf.Variable).assign(v);
    return copy;
  }

  /** Frees the weights; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  /** Next-token logits at every position: ids [B, T] int32 -> [B, T, V]. */
  logits(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const h = this.forward(ids, positionsFrom(B, T, 0), causalBias(T), null).h;
      return this.head(h).reshape([B, T, this.config.vocabSize]);
    });
  }

  /**
   * log p(ids[t+1] | ids[..t]) for t < T-1: ids [B, T] -> [B, T-1], zero where mask[t+1] is 0. Differentiable.
   * The mask only selects targets; attention stays causal over every token (right padding never leaks backwards).
   * `allowedBias` [B, T-1, V] (0 where a token is allowed, a large finite negative where the grammar forbids it)
   * renormalises each prediction over the allowed tokens: the log-probabilities of constrained decoding.
   */
  sequenceLogProbs(ids: tf.Tensor2D, mask: tf.Tensor2D, allowedBias?: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      if (T < 2) throw new Error(`sequenceLogProbs: need at least 2 tokens, got ${T}`);
      const { h } = this.forward(ids, positionsFrom(B, T, 0), causalBias(T), null);
      const logits = this.head(h.slice([0, 0, 0], [B, T - 1, -1]));
      const logp = tf.logSoftmax(allowedBias ? tf.add(logits, allowedBias.reshape([B * (T - 1), this.config.vocabSize])) : logits);
      const targets = oneHot(ids.slice([0, 1], [B, T - 1]), this.config.vocabSize);
      const picked = tf.sum(tf.mul(logp, targets), -1).reshape([B, T - 1]);
      return tf.mul(picked, mask.slice([0, 1], [B, T - 1]).toFloat()) as tf.Tensor2D;
    });
  }

  /**
   * Continues every prompt (lengths may differ) with a key/value cache. Prompts are left-padded; each row
   * keeps its own positions and never attends to its padding, so results equal unbatched decoding.
   */
  async generate(prompts: readonly number[][], opts: GenerateOptions): Promise<Generation> {
    const { vocabSize: V, contextLength: C } = this.config;
    const B = prompts.length;
    if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 1) {
      throw new Error(`generate: maxNewTokens must be a positive integer, got ${opts.maxNewTokens}`);
    }
    if (!(opts.temperature >= 0)) throw new Error(`generate: temperature must be >= 0, got ${opts.temperature}`);
    if (!Number.isInteger(opts.topK) || opts.topK < 0) throw new Error(`generate: topK must be an integer >= 0, got ${opts.topK}`);
    if (B === 0) return { tokens: [], logProbs: [], allowed: [], entropy: [], stopped: [] };
    if (opts.constraints && opts.constraints.length !== B) {
      throw new Error(`generate: ${opts.constraints.length} constraints for ${B} prompts`);
    }
    prompts.forEach((p, b) => {
      if (p.length === 0) throw new Error(`generate: prompt ${b} is empty`);
      if (p.length + opts.maxNewTokens > C) {
        throw new Error(`generate: prompt ${b} (${p.length} tokens) + maxNewTokens ${opts.maxNewTokens} exceeds the context ${C}`);
      }
      const bad = p.find((id) => !Number.isInteger(id) || id < 0 || id >= V);
      if (bad !== undefined) throw new Error(`generate: prompt ${b} has token id ${bad} outside 0..${V - 1}`);
    });
    const L = Math.max(...prompts.map((p) => p.length));
    const pad = prompts.map((p) => L - p.length);
    const ids = new Int32Array(B * L);
    prompts.forEach((p, b) => ids.set(p, b * L + (pad[b] as number)));
    let { logits, cache } = this.prefill(ids, pad, L);

    const rngs = prompts.map((_, b) => new Rng(opts.seed).fork(b));
    const out: Generation = {
      tokens: prompts.map(() => []),
      logProbs: prompts.map(() => []),
      allowed: prompts.map(() => []),
      entropy: prompts.map(() => []),
      stopped: prompts.map(() => false),
    };
    // Tokens a row must write next: the whole choice greedy decoding made (see below).
    const forced: number[][] = prompts.map(() => []);
    try {
      for (let s = 0; ; s++) {
        const data = (await logits.data()) as Float32Array;
        logits.dispose();
        const next = new Int32Array(B);
        for (let b = 0; b < B; b++) {
          if (out.stopped[b]) continue;
          const constraint = opts.constraints?.[b] ?? null;
          const set = constraint?.allowed() ?? null;
          const only = set ? onlyToken(set) : -1;
          // A single allowed token is emitted as is: probability 1, nothing for the policy to learn there.
          const row = set ? maskRow(data.subarray(b * V, (b + 1) * V), set) : data.subarray(b * V, (b + 1) * V);
          const queue = forced[b] as number[];
          // Greedy decoding takes a choice among whole strings at once. Token by token, it ranks a name's first piece
          // by the mass of every listed name sharing it. Whole, each string is scored by the mean of its masked
          // log-probability (the policy's own, which hides where the model wanted a string the list lacks) and its
          // unmasked one (which counts that doubt in full): on the shipped base's 200 dev requests, the right tool of
          // benign / malicious / sensitive requests at 69 / 79 / 91% masked, 83 / 64 / 71% unmasked, 83 / 82 / 88%
          // with the mean (token by token: 68% at the 399 benign first-tool points of 600 dev episodes). Sampling stays
          // token by token: it is the policy GRPO trains.
          const choices = opts.temperature === 0 && queue.length === 0 && only < 0 ? (constraint?.choices?.(out.tokens[b] as number[]) ?? null) : null;
          if (choices && choices.length > 0) {
            const fitting = choices.filter((c) => c.tokens.length > 0 && L + s + c.tokens.length <= C);
            const scores = await this.continuationLogProbs(data.subarray(b * V, (b + 1) * V), cache, b, L + s, pad[b] as number, fitting);
            queue.push(...(fitting[scores.indexOf(Math.max(...scores))]?.tokens ?? []));
          }
          const token =
            queue.length > 0
              ? (queue.shift() as number)
              : only >= 0
                ? only
                : opts.temperature === 0
                  ? argmax(row)
                  : sample(row, opts.temperature, opts.topK, rngs[b] as Rng);
          if (set && !hasToken(set, token)) throw new Error(`generate: the chosen string's token ${token} is not allowed by the grammar of row ${b}`);
          constraint?.advance(token);
          (out.tokens[b] as number[]).push(token);
          (out.logProbs[b] as number[]).push(only >= 0 ? 0 : logSoftmaxAt(row, token));
          (out.allowed[b] as (TokenSet | null)[]).push(only >= 0 ? null : set);
          (out.entropy[b] as number[]).push(only >= 0 ? 0 : entropyOf(row));
          if (token === opts.stopId) out.stopped[b] = true;
          next[b] = token;
        }
        if (s + 1 >= opts.maxNewTokens || out.stopped.every(Boolean)) break;
        // The new token sits at column L + s and may look at every earlier column but the padding.
        const stepped = this.step(
          tf.tensor2d(next, [B, 1], 'int32'),
          tf.tensor2d(Int32Array.from(pad, (p) => L + s - p), [B, 1], 'int32'),
          paddingBias(pad, L + s + 1),
          cache,
        );
        tf.dispose(cache.flatMap((c) => [c.k, c.v, c.last]));
        ({ logits, cache } = stepped);
      }
    } finally {
      logits.dispose();
      tf.dispose(cache.flatMap((c) => [c.k, c.v, c.last]));
    }
    return out;
  }

  /**
   * The score of each continuation of row `b` of a generation whose cache holds `start` columns (`pad` of them the
   * row's left padding) and whose next-token logits for the row are `first`: the mean of its log-probability under
   * its allowed sets and without them. The continuations run together on copies of the row's cache, so a choice costs
   * a few tokens, not another pass over the prompt.
   */
  private async continuationLogProbs(first: Float32Array, cache: KV[], b: number, start: number, pad: number, continuations: readonly Choice[]): Promise<number[]> {
    const V = this.config.vocabSize;
    const n = continuations.length;
    // The logits after each continuation's tokens but its last (the first token's are `first`).
    const Tq = Math.max(0, ...continuations.map((c) => c.tokens.length - 1));
    let rows: Float32Array = new Float32Array(0);
    if (Tq > 0) {
      const ids = new Int32Array(n * Tq);
      continuations.forEach((c, i) => ids.set(c.tokens.slice(0, -1), i * Tq));
      // Each new query sees the row's real columns of the cache and the continuation's tokens up to itself.
      const Tk = start + Tq;
      const bias = new Float32Array(Tq * Tk);
      for (let q = 0; q < Tq; q++) {
        bias.fill(NEG, q * Tk, q * Tk + pad);
        bias.fill(NEG, q * Tk + start + q + 1, (q + 1) * Tk);
      }
      const logits = tf.tidy(() => {
        const copies = cache.map((c) => ({
          k: tf.tile(c.k.slice([b, 0, 0, 0], [1, -1, -1, -1]), [n, 1, 1, 1]) as tf.Tensor4D,
          v: tf.tile(c.v.slice([b, 0, 0, 0], [1, -1, -1, -1]), [n, 1, 1, 1]) as tf.Tensor4D,
          last: tf.tile(c.last.slice([b, 0, 0], [1, -1, -1]), [n, 1, 1]) as tf.Tensor3D,
        }));
        const positions = tf.tensor2d(Int32Array.from({ length: n * Tq }, (_, i) => start - pad + (i % Tq)), [n, Tq], 'int32');
        return this.head(this.forward(tf.tensor2d(ids, [n, Tq], 'int32'), positions, tf.tensor4d(bias, [1, 1, Tq, Tk]), copies).h);
      });
      rows = (await logits.data()) as Float32Array;
      logits.dispose();
    }
    return continuations.map((c, i) =>
      c.tokens.reduce((sum, token, j) => {
        const row = j === 0 ? first : rows.subarray((i * Tq + j - 1) * V, (i * Tq + j) * V);
        return sum + (logSoftmaxAt(row, token) + logSoftmaxAt(maskRow(row, c.allowed[j] as TokenSet), token)) / 2;
      }, 0),
    );
  }

  /**
   * The forward pass over the left-padded prompts (`ids`, B rows of L): last-position logits [B, V] and the cache. Its
   * attention scores are [rows, heads, L, L]: run on all 128 rollouts of a 16-episode GRPO iteration at once, it aborted
   * wasm in the first iteration (Aborted() in BatchMatMul; wasm's heap ends at 4 GB), while in slices the same
   * iterations run with a 2.2 GB heap. Rows are independent, so it runs PREFILL_ROWS rows at a time and joins the
   * results; the decoding steps after it, [B, heads, 1, T] each, stay one batch.
   */
  private prefill(ids: Int32Array, pad: readonly number[], L: number): { logits: tf.Tensor2D; cache: KV[] } {
    const parts: { logits: tf.Tensor2D; cache: KV[] }[] = [];
    for (let s = 0; s < pad.length; s += PREFILL_ROWS) {
      const rows = pad.slice(s, s + PREFILL_ROWS);
      const n = rows.length;
      parts.push(
        this.step(
          tf.tensor2d(ids.subarray(s * L, (s + n) * L), [n, L], 'int32'),
          tf.tensor2d(Int32Array.from({ length: n * L }, (_, i) => Math.max(0, (i % L) - (rows[Math.floor(i / L)] as number))), [n, L], 'int32'),
          tf.tidy(() => tf.add(causalBias(L), paddingBias(rows, L))),
          null,
        ),
      );
    }
    if (parts.length === 1) return parts[0] as { logits: tf.Tensor2D; cache: KV[] };
    const joined = tf.tidy(() => ({
      logits: tf.concat(parts.map((p) => p.logits)) as tf.Tensor2D,
      cache: (parts[0] as { cache: KV[] }).cache.map((_, l) => ({
        k: tf.concat(parts.map((p) => (p.cache[l] as KV).k)) as tf.Tensor4D,
        v: tf.concat(parts.map((p) => (p.cache[l] as KV).v)) as tf.Tensor4D,
        last: tf.concat(parts.map((p) => (p.cache[l] as KV).last)) as tf.Tensor3D,
      })),
    }));
    tf.dispose(parts.flatMap((p) => [p.logits, ...p.cache.flatMap((c) => [c.k, c.v, c.last])]));
    return joined;
  }

  /** One cached forward pass over new tokens: last-position logits [B, V] and the extended cache. Consumes its inputs. */
  private step(
    ids: tf.Tensor2D,
    positions: tf.Tensor2D,
    bias: tf.Tensor4D,
    cache: KV[] | null,
  ): { logits: tf.Tensor2D; cache: KV[] } {
    const result = tf.tidy(() => {
      const { h, kv } = this.forward(ids, positions, bias, cache);
      const [B, T] = ids.shape;
      const last = h.slice([0, T - 1, 0], [B, 1, -1]);
      return { logits: this.head(last) as tf.Tensor2D, kv };
    });
    tf.dispose([ids, positions, bias]);
    return { logits: result.logits, cache: result.kv };
  }

  /** Embeddings, blocks and final LayerNorm: ids [B, T] -> h [B, T, d], with each layer's keys/values. */
  private forward(
    ids: tf.Tensor2D,
    positions: tf.Tensor2D,
    bias: tf.Tensor,
    cache: KV[] | null,
  ): { h: tf.Tensor3D; kv: KV[] } {
    const { dModel: d, contextLength: C, nLayers } = this.config;
    const [B, T] = ids.shape;
    if (T > C) throw new Error(`model: ${T} tokens exceed the context length ${C}`);
    const tok = embed(this.p('tok_emb'), ids);
    const alibi = this.config.positions === 'alibi';
    let x = (alibi ? tok : tf.add(tok, embed(this.p('pos_emb'), positions))).reshape([B, T, d]) as tf.Tensor3D;
    // The keys are the cached ones and these; the queries are the last T of them.
    const scoresBias = alibi ? tf.add(bias, alibiBias(T, T + (cache?.[0]?.k.shape[2] ?? 0), this.config.nHeads)) : bias;
    const kv: KV[] = [];
    // A sequence's first token (position 0) has no previous token: its smeared key sees zeros, as in training.
    const hasPrev = tf.cast(tf.greater(positions, 0), 'float32').reshape([B, T, 1]);
    for (let l = 0; l < nLayers; l++) {
      const attn = this.attention(l, this.layerNorm(x, `h${l}.ln1`), scoresBias, cache?.[l] ?? null, hasPrev);
      kv.push(attn.kv);
      x = tf.add(x, attn.out);
      x = tf.add(x, this.mlp(l, this.layerNorm(x, `h${l}.ln2`)));
    }
    return { h: this.layerNorm(x, 'ln_f'), kv };
  }

  /**
   * Causal multi-head self-attention; `bias` [B|1, 1|H, Tq, Tk] is 0 where a query may look, NEG elsewhere (plus the
   * ALiBi distance penalty per head).
   * Keys add a projection of the previous position's input (`hasPrev` [B, T, 1] zeroes it at position 0).
   */
  private attention(
    l: number,
    x: tf.Tensor3D,
    bias: tf.Tensor,
    past: KV | null,
    hasPrev: tf.Tensor,
  ): { out: tf.Tensor3D; kv: KV } {
    const { dModel: d, nHeads: H } = this.config;
    const [B, T] = x.shape;
    const dh = d / H;
    const qkv = tf.add(linear(x.reshape([B * T, d]), this.p(`h${l}.attn.wqkv`)), this.p(`h${l}.attn.bqkv`));
    const before = past ? past.last : tf.zeros([B, 1, d]);
    const prev = T > 1 ? tf.concat([before, x.slice([0, 0, 0], [B, T - 1, d])], 1) : before;
    const smear = linear(tf.mul(prev, hasPrev).reshape([B * T, d]), this.p(`h${l}.attn.wkprev`));
    const heads = (t: tf.Tensor): tf.Tensor4D => t.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
    const [q, kOwn, vNew] = tf.split(qkv, 3, 1).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const kNew = tf.add(kOwn, heads(smear)) as tf.Tensor4D;
    const k = past ? (tf.concat([past.k, kNew], 2) as tf.Tensor4D) : kNew;
    const v = past ? (tf.concat([past.v, vNew], 2) as tf.Tensor4D) : vNew;
    const mixed = attend(q, k, v, bias, 1 / Math.sqrt(dh)).transpose([0, 2, 1, 3]).reshape([B * T, d]);
    const out = tf.add(linear(mixed as tf.Tensor2D, this.p(`h${l}.attn.wo`)), this.p(`h${l}.attn.bo`)).reshape([B, T, d]);
    return { out: out as tf.Tensor3D, kv: { k, v, last: x.slice([0, T - 1, 0], [B, 1, d]) } };
  }

  private mlp(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const [B, T, d] = x.shape;
    const h = gelu(tf.add(linear(x.reshape([B * T, d]), this.p(`h${l}.mlp.w1`)), this.p(`h${l}.mlp.b1`))) as tf.Tensor2D;
    return tf.add(linear(h, this.p(`h${l}.mlp.w2`)), this.p(`h${l}.mlp.b2`)).reshape([B, T, d]) as tf.Tensor3D;
  }

  private layerNorm(x: tf.Tensor3D, name: string): tf.Tensor3D {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const normed = tf.mul(centered, tf.rsqrt(tf.add(variance, LN_EPS)));
    return tf.add(tf.mul(normed, this.p(`${name}.g`)), this.p(`${name}.b`)) as tf.Tensor3D;
  }

  /** Output head tied to the token embedding: h [B, T, d] -> logits [B*T, V]. */
  private head(h: tf.Tensor3D): tf.Tensor2D {
    const [B, T, d] = h.shape;
    return linear(h.reshape([B * T, d]), tf.transpose(this.p('tok_emb')));
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`model: no parameter ${name} (disposed?)`);
    return v;
  }
}

/** Float one-hot rows [N, depth] of ids (any shape). The wasm OneHot kernel ignores a float dtype (writes int bits), so cast. */
function oneHot(ids: tf.Tensor, depth: number): tf.Tensor2D {
  return tf.oneHot(ids.reshape([-1]) as tf.Tensor1D, depth).toFloat() as tf.Tensor2D;
}

/** x [N, k] · w [k, m], differentiated with explicit transposes (wasm's transposed matMul is ~10x slower). */
const linear = tf.customGrad((x, w, save) => {
  const [a, b] = [x, w] as [tf.Tensor2D, tf.Tensor2D];
  (save as tf.GradSaveFunc)([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor2D, [sa, sb]: tf.Tensor[]) => [
      tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)),
      tf.matMul(tf.transpose(sa as tf.Tensor2D), dy),
    ],
  };
}) as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D;

/**
 * softmax(q·kᵀ·scale + bias)·v per sequence and head: q [B, H, Tq, dh], k and v [B, H, Tk, dh], bias broadcastable
 * to [B, H, Tq, Tk] (not differentiated). On wasm a batched or transposed matMul runs a scalar loop (~0.6 GFLOP/s;
 * only an unbatched, untransposed product reaches XNNPACK) and slicing a tensor copies all of it, so there each
 * (sequence, head) is attended with 2D products on operands cut from one read of each input, and the backward pass
 * recomputes each slice's weights (as FlashAttention does) instead of keeping [B, H, Tq, Tk] of them. A decoding step
 * (one query) stays batched: there the loop is cheap and B·H tiny products would cost more to dispatch.
 * Measured on 2 busy cores: a cold-start chunk (8 × 500 tokens, forward and backward) 7.4 s -> 3.4 s; greedy
 * decoding of 36 decision points 17.1 s -> 10.5 s.
 */
function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor, scale: number): tf.Tensor4D {
  const [B, H, Tq, dh] = q.shape;
  if (tf.getBackend() !== 'wasm' || Tq === 1) return tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), bias)), v);
  const Tk = k.shape[2];
  const b4 = bias.rank === 4 ? bias : bias.reshape([...Array(4 - bias.rank).fill(1), ...bias.shape]);
  const full = tf.broadcastTo(b4, [b4.shape[0] as number, b4.shape[1] as number, Tq, Tk]);
  const biasOf = (b: number, h: number): number => (full.shape[0] === 1 ? 0 : b) * (full.shape[1] as number) + (full.shape[1] === 1 ? 0 : h);
  // Only small [T, dh] operands are transposed (once, whole); products are ordered so no [Tq, Tk] matrix needs one.
  const T = (x: tf.Tensor): tf.Tensor => tf.transpose(x, [0, 1, 3, 2]);
  const weights = (qi: tf.Tensor2D, kti: tf.Tensor2D, mi: tf.Tensor2D): tf.Tensor2D =>
    tf.softmax(tf.add(tf.mul(tf.matMul(qi, kti), scale), mi)) as tf.Tensor2D;
  const maskOf = (M: tf.Tensor2D[], i: number): tf.Tensor2D => M[biasOf(Math.floor(i / H), i % H)] as tf.Tensor2D;
  const f = tf.customGrad((qIn, kIn, vIn, biasIn, save) => {
    (save as tf.GradSaveFunc)([qIn as tf.Tensor, kIn as tf.Tensor, vIn as tf.Tensor, biasIn as tf.Tensor]);
    const value = tf.tidy(() => {
      const [Q, Kt, V, M] = [qIn as tf.Tensor, T(kIn as tf.Tensor), vIn as tf.Tensor, biasIn as tf.Tensor].map(slices) as Slices4;
      return tf.stack(Q.map((qi, i) => tf.matMul(weights(qi, Kt[i]!, maskOf(M, i)), V[i]!))).reshape([B, H, Tq, dh]);
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor, [qs, ks, vs, ms]: tf.Tensor[]) =>
        tf.tidy(() => {
          const [Q, Kt, K, Vt, M] = [qs!, T(ks!), ks!, T(vs!), ms!].map(slices) as [...Slices4, tf.Tensor2D[]];
          const [Qt, dO, dOt] = [T(qs!), dy, T(dy)].map(slices) as [tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[]];
          const dq: tf.Tensor2D[] = [];
          const dkt: tf.Tensor2D[] = [];
          const dvt: tf.Tensor2D[] = [];
          Q.forEach((qi, i) => {
            const p = weights(qi, Kt[i]!, maskOf(M, i));
            dvt.push(tf.matMul(dOt[i]!, p));
            const dp = tf.matMul(dO[i]!, Vt[i]!);
            const ds = tf.mul(tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), 1, true))), scale) as tf.Tensor2D;
            dq.push(tf.matMul(ds, K[i]!));
            dkt.push(tf.matMul(Qt[i]!, ds));
          });
          return [tf.stack(dq).reshape([B, H, Tq, dh]), T(tf.stack(dkt).reshape([B, H, dh, Tk])), T(tf.stack(dvt).reshape([B, H, dh, Tk])), tf.zerosLike(ms!)];
        }),
    };
  });
  return f(q, k, v, full) as tf.Tensor4D;
}

type Slices4 = [tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[], tf.Tensor2D[]];

/** The [rows, cols] matrices of a [..., rows, cols] tensor, cut from one read of it (each tf.slice would read it all on wasm). */
function slices(x: tf.Tensor): tf.Tensor2D[] {
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  const values = x.dataSync() as Float32Array;
  return Array.from({ length: x.size / (rows * cols) }, (_, i) => tf.tensor2d(values.subarray(i * rows * cols, (i + 1) * rows * cols), [rows, cols]));
}

/** Rows of `table` [V, d] at `ids` -> [N, d]: a gather forward, a one-hot product as its gradient (none on wasm). */
function embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor2D {
  const flat = ids.reshape([-1]) as tf.Tensor1D;
  return tf.customGrad((t, save) => {
    (save as tf.GradSaveFunc)([flat]); // kept for the backward pass, which runs after the forward's tidy
    return {
      value: tf.gather(t as tf.Tensor2D, flat),
      gradFunc: (dy: tf.Tensor2D, [saved]: tf.Tensor[]) => tf.matMul(tf.transpose(oneHot(saved as tf.Tensor, table.shape[0] as number)), dy),
    };
  })(table) as tf.Tensor2D;
}

/** GELU, tanh approximation (as GPT-2). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * ALiBi [1, H, Tq, Tk]: head h adds -slope_h × (query column - key column), the queries being the last Tq of the Tk
 * columns; slopes 2^(-8(h+1)/H), so one head looks at the last few tokens and another across the whole context.
 * Columns stand for positions: a row's left padding is masked anyway, so distances between real tokens are exact.
 */
function alibiBias(Tq: number, Tk: number, H: number): tf.Tensor4D {
  const out = new Float32Array(H * Tq * Tk);
  for (let h = 0; h < H; h++) {
    const slope = 2 ** ((-8 * (h + 1)) / H);
    for (let q = 0; q < Tq; q++) {
      const column = Tk - Tq + q;
      const row = (h * Tq + q) * Tk;
      for (let k = 0; k <= column; k++) out[row + k] = -slope * (column - k);
    }
  }
  return tf.tensor4d(out, [1, H, Tq, Tk]);
}

function positionsFrom(B: number, T: number, start: number): tf.Tensor2D {
  return tf.tile(tf.range(start, start + T, 1, 'int32').reshape([1, T]), [B, 1]) as tf.Tensor2D;
}

/** [1, 1, T, T]: 0 on and below the diagonal, NEG above (a token never sees the future). */
function causalBias(T: number): tf.Tensor4D {
  const bias = new Float32Array(T * T);
  for (let q = 0; q < T; q++) bias.fill(NEG, q * T + q + 1, (q + 1) * T);
  return tf.tensor4d(bias, [1, 1, T, T]);
}

/** [B, 1, 1, T]: NEG on each row's left padding (its first pad[b] columns), 0 elsewhere. */
function paddingBias(pad: readonly number[], T: number): tf.Tensor4D {
  const bias = new Float32Array(pad.length * T);
  pad.forEach((p, b) => bias.fill(NEG, b * T, b * T + p));
  return tf.tensor4d(bias, [pad.length, 1, 1, T]);
}

/** A copy of a logit row with every token outside the allowed set at -Infinity (sampling only; no gradient here). */
function maskRow(row: Float32Array, set: TokenSet): Float32Array {
  const out = new Float32Array(row.length).fill(-Infinity);
  for (let i = 0; i < row.length; i++) if (hasToken(set, i)) out[i] = row[i] as number;
  return out;
}

/** Entropy of softmax(row), masked entries (-Infinity) contributing nothing. */
function entropyOf(row: Float32Array): number {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  let weighted = 0;
  for (const x of row) {
    if (x === -Infinity) continue;
    const e = Math.exp(x - max);
    sum += e;
    weighted += e * (x - max);
  }
  return Math.log(sum) - weighted / sum;
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

function logSoftmaxAt(row: Float32Array, i: number): number {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  return (row[i] as number) - max - Math.log(sum);
}

/** Samples from softmax(row / temperature), restricted to the topK largest logits when topK > 0. */
function sample(row: Float32Array, temperature: number, topK: number, rng: Rng): number {
  let threshold = -Infinity;
  if (topK > 0 && topK < row.length) threshold = Float32Array.from(row).sort().reverse()[topK - 1] as number;
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  const weights = new Float64Array(row.length);
  let total = 0;
  for (let i = 0; i < row.length; i++) {
    const x = row[i] as number;
    if (x >= threshold) total += weights[i] = Math.exp((x - max) / temperature);
  }
  let r = rng.next() * total;
  for (let i = 0; i < row.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return i;
  }
  return argmax(row);
}
