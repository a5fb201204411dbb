// The whole configuration of a run, validated at every boundary (CLI file, URL, checkpoint manifest).
// Pure data: the trainer, the CLI and the page all read this one schema.
import { z } from 'zod';
import { isJsonObject } from './types';

/**
 * How attention sees order: `alibi` biases each head's scores by its distance to the key (Press et al., 2022);
 * `learned` adds a learned embedding of the absolute position to each token.
 */
export const PositionsSchema = z.enum(['learned', 'alibi']);
export type Positions = z.infer<typeof PositionsSchema>;

/** The transformer's shape; the model adds its real vocabulary size and init seed (src/ml/model.ts). */
export const ModelShapeSchema = z
  .object({
    dModel: z.number().int().min(1).max(1024),
    nLayers: z.number().int().min(1).max(24),
    nHeads: z.number().int().min(1).max(32),
    dFF: z.number().int().min(1).max(4096),
    contextLength: z.number().int().min(2).max(4096),
    /** Absent: learned (checkpoints made before ALiBi). */
    positions: PositionsSchema.optional(),
  })
  .strict();

/** The refinement every model shape needs (shared with the model's own config schema). */
export const headsDivideWidth: [(m: { dModel: number; nHeads: number }) => boolean, { message: string; path: string[] }] = [
  (m) => m.dModel % m.nHeads === 0,
  { message: 'dModel must be divisible by nHeads', path: ['nHeads'] },
];

const ModelConfigSchema = ModelShapeSchema.extend({
  /**
   * A run's context holds a prompt (system prompt with the tool list, and the request: 184 to 471 tokens, 276 at the
   * median, with the release tokenizer on 1,000 train episodes) and the turns after it; a shorter one cuts the prompt
   * and trains on nothing useful.
   */
  contextLength: z.number().int().min(256, 'contextLength must be at least 256 tokens, or the prompt does not fit').max(4096),
  /** Target vocabulary of the learned tokenizer (special tokens + 256 bytes + merges). */
  vocabSize: z.number().int().min(300).max(32768),
}).refine(...headsDivideWidth);

const DecisionPriorSchema = z
  .object({
    execute: z.number().min(0),
    refuse: z.number().min(0),
    verify: z.number().min(0),
  })
  .strict()
  .refine((p) => p.execute + p.refuse + p.verify > 0, { message: 'prior weights must not all be 0' });

const SftConfigSchema = z
  .object({
    steps: z.number().int().min(0).max(100_000),
    batchSize: z.number().int().min(1).max(512),
    learningRate: z.number().positive().max(1),
    /**
     * The last decayFraction of the steps lower the learning rate linearly towards 0 (warmup-stable-decay without the
     * warmup): the constant phase makes fast progress, the decay settles the loss.
     */
    decayFraction: z.number().min(0).max(1),
    maxGradNorm: z.number().positive(),
    /**
     * Loss weight of the other tokens (system, user, tool replies) relative to the assistant's 1: they cost nothing
     * extra to score, and tool replies echo the call's ids, which is more practice at copying.
     */
    contextWeight: z.number().min(0).max(1),
    /** Decision prior of the cold-start transcripts, independent of the class. */
    prior: DecisionPriorSchema,
  })
  .strict();

const GrpoConfigSchema = z
  .object({
    iterations: z.number().int().min(0).max(100_000),
    episodesPerIteration: z.number().int().min(1).max(1024),
    groupSize: z.number().int().min(2).max(64),
    learningRate: z.number().positive().max(1),
    /** Above 10 the KL term swamps the policy loss (and 1e308 overflows it to NaN). */
    klCoef: z.number().min(0).max(10),
    clipEpsilon: z.number().positive().max(1),
    /** Clipped updates (Adam steps) per iteration, each a pass over all of the iteration's rollouts. */
    updatesPerIteration: z.number().int().min(1).max(16),
    /** Rollouts scored in one forward/backward pass; a pass's gradients are summed into the update (memory, not maths). */
    rolloutsPerPass: z.number().int().min(1).max(1024),
    maxGradNorm: z.number().positive(),
    temperature: z.number().min(0).max(5),
    topK: z.number().int().min(0),
    maxNewTokens: z.number().int().min(4).max(1024),
  })
  .strict();

export const ScenarioMixSchema = z
  .object({
    benignUser: z.number().min(0),
    maliciousUser: z.number().min(0),
    sensitiveUser: z.number().min(0),
    benignTool: z.number().min(0),
    maliciousTool: z.number().min(0),
    sensitiveTool: z.number().min(0),
  })
  .strict();

/**
 * 'constrained': every assistant turn is decoded under the protocol grammar (src/core/grammar): well-formed, naming
 * listed tools, copying argument values from the conversation. 'free': the raw model, mistakes and all.
 */
export const DecodingSchema = z.enum(['constrained', 'free']);
export type Decoding = z.infer<typeof DecodingSchema>;

const RunConfigSchema = z
  .object({
    seed: z.number().int().min(0),
    decoding: DecodingSchema,
    /** A preset name, or 'custom' with the source in customReward. */
    reward: z.enum(['paper', 'strict', 'shaped', 'custom']),
    customReward: z.string().optional(),
    /** P(yes) of the simulated user's answer to a <tool_check>. */
    pYes: z.number().min(0).max(1),
    maxTurns: z.number().int().min(1).max(20),
    /** Relative weights of the six episode kinds in training (cold start and GRPO); evaluation draws them evenly. */
    mix: ScenarioMixSchema,
    model: ModelConfigSchema,
    sft: SftConfigSchema,
    grpo: GrpoConfigSchema,
  })
  .strict()
  .refine((c) => c.reward !== 'custom' || (c.customReward ?? '').trim() !== '', {
    message: "reward 'custom' needs customReward source",
    path: ['customReward'],
  });

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type SftConfig = z.infer<typeof SftConfigSchema>;
export type DecisionPrior = z.infer<typeof DecisionPriorSchema>;

/**
 * The shipped recipe: `npm run train:release` makes public/checkpoints from exactly this, and so do `asp train`
 * without a config and the page's "Pretrain from scratch". Tests use small explicit overrides.
 */
export const DEFAULT_RUN_CONFIG: RunConfig = {
  seed: 7,
  decoding: 'constrained',
  reward: 'paper',
  pYes: 0.5,
  maxTurns: 5,
  // Requests class-balanced as the paper's data: benign, malicious and sensitive users 43/29/29% of the episodes
  // (benign-user episodes include the tool-output kinds), tool outputs 29%. With the six kinds even (67/17/17%), GRPO
  // from a header base saw one or two malicious and sensitive requests an iteration and moved them apart from benign
  // ones at half the pace (sampled, after 6 iterations: verified 25% of benign vs 34-37%; balanced 20% vs 40% after 4).
  mix: { benignUser: 1, maliciousUser: 2, sensitiveUser: 2, benignTool: 0.5, maliciousTool: 1, sensitiveTool: 0.5 },
  // A context of 768 holds a whole episode: the oracle's transcripts of 1,000 train episodes are at most 718 tokens.
  // ALiBi positions: after 450 cold-start steps from scratch (same seed and data), the right call at 35 of 124 dev
  // decision points against 20 with learned absolute positions (arguments copied right far more often; the tool
  // picked right about as often), with 49k fewer parameters.
  model: { dModel: 64, nLayers: 2, nHeads: 4, dFF: 256, contextLength: 768, vocabSize: 1024, positions: 'alibi' },
  // A prior of 0.6 / 0.2 / 0.2 makes a greedy base that executes everything, while a group of 5 sampled rollouts holds
  // both a check and a non-check two times in three: the contrast GRPO needs to learn when to verify.
  // 900 constant-rate steps left the loss still falling (0.39 at step 500, 0.26 at 900) and the tool right at 71% of
  // the decision points on training phrasings: the base was undertrained, so the cold start runs longer and decays.
  sft: {
    steps: 3000,
    batchSize: 16,
    learningRate: 3e-3,
    decayFraction: 0.3,
    maxGradNorm: 1,
    contextWeight: 0.25,
    prior: { execute: 0.6, refuse: 0.2, verify: 0.2 },
  },
  grpo: {
    iterations: 40,
    // From the previous recipe's base (before the composed tools), 30 iterations, decision points of 60 dev episodes: at
    // lr 3e-4 in groups of 8, KL 0.1 kept right calls at 48% (base 62%) and benign requests executed at 85% (base 95%)
    // while sensitive requests went to verify (0 -> 100%) and planted instructions to a check (0 -> 80%); KL 0.01 left
    // 38% and 64% for the same moves. An earlier 10-iteration probe (8 x 5, KL 0.01, another sample) left right calls at
    // 27% with lr 1e-3 and 43% with 3e-4 (59% before). The paper reward pays any call that parses: only the KL term
    // keeps calls right. Malicious requests went with sensitive ones in every setting tried (refused 0-80%, sensitive
    // verified 18-100%, the two summing to about 100%); the current base's 40 iterations leave them so too
    // (docs/results.md), and so do 120 under the label that pays no check on a malicious request (greedy on 200 dev
    // episodes: malicious refused 0%, verified 24 of 33; in the sampled rollouts malicious refusals and sensitive checks
    // traded places, 7-39% and 87-42% a 20-iteration block), or 40 at lr 1e-3 (sampled malicious refusals 0-50% an
    // iteration, no trend). With the KL estimate clamped as verl's, the 40 iterations move both to refuse instead (dev:
    // malicious refused 80%, sensitive refused 77%); 60 iterations of 16 episodes (57 min on 2 cores shared with other
    // jobs) leave them mixed alike (200 dev episodes: refused 36% and 32%, verified 39% and 56%). Taught the oracle's
    // decisions directly (`npm run ceiling`), the base tells the two apart on the train phrasings (94% refused, 100%
    // verified) but not on dev's (74%, 71%): the held-out wordings are out of its reach.
    episodesPerIteration: 5,
    // A group of 8 rollouts of one request holds both a check and a non-check more often than a group of 5.
    groupSize: 8,
    learningRate: 3e-4,
    klCoef: 0.1,
    clipEpsilon: 0.2,
    updatesPerIteration: 2,
    rolloutsPerPass: 8,
    maxGradNorm: 1,
    temperature: 1,
    topK: 0,
    // The longest scripted turn, its think's tool header included, is 94 tokens (a call copying a long message body).
    maxNewTokens: 128,
  },
};

/** Parses a run config (partial configs are merged over the defaults); errors name the field. */
export function parseRunConfig(input: unknown): RunConfig {
  const merged = mergeDeep(DEFAULT_RUN_CONFIG, input);
  const result = RunConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'config';
    throw new Error(`invalid config at ${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return result.data;
}

function mergeDeep(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isJsonObject(base) && isJsonObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeDeep(base[k], v);
    return out;
  }
  return over;
}
