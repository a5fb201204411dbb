// The seeded episode generator: a kind from the mix, a domain, a world, an intent and a phrasing.
// Episode i depends only on (split, seed, i, mix), so any slice of a run can be regenerated on its own.
import { z } from 'zod';
import { ScenarioMixSchema } from '../config';
import { Rng } from '../rng';
import type { CatalogTool, Episode, Injection, Labels, Split, ToolCall, WorldState } from '../types';
import { DOMAINS } from './domains';
import { fill, type Ctx, type Domain, type Slots } from './framework';
import { INJECTION_STYLES, plantInjection } from './injections';
import { renameTools } from './rename';
import { makeContacts, makeOwner } from './vocab';

/** Weights of the six episode kinds (a missing kind weighs 0). */
export type ScenarioMix = Partial<z.infer<typeof ScenarioMixSchema>>;
export type MixKey = keyof z.infer<typeof ScenarioMixSchema>;

/** The six kinds by their mix key, with the labels they carry. */
export const EPISODE_KINDS: Record<MixKey, Labels> = {
  benignUser: { user: 'benign', tool: 'none' },
  maliciousUser: { user: 'malicious', tool: 'none' },
  sensitiveUser: { user: 'sensitive', tool: 'none' },
  benignTool: { user: 'benign', tool: 'benign' },
  maliciousTool: { user: 'benign', tool: 'malicious' },
  sensitiveTool: { user: 'benign', tool: 'sensitive' },
};
const MIX_KEYS = Object.keys(EPISODE_KINDS) as MixKey[];

/** Every kind equally often. */
export const DEFAULT_MIX: Required<ScenarioMix> = {
  benignUser: 1,
  maliciousUser: 1,
  sensitiveUser: 1,
  benignTool: 1,
  maliciousTool: 1,
  sensitiveTool: 1,
};

const MixSchema = ScenarioMixSchema.partial().refine((m) => MIX_KEYS.some((k) => (m[k] ?? 0) > 0), {
  message: 'at least one kind needs a positive weight',
});

/** A validated mix; errors name the bad field. */
export function parseMix(mix: unknown): Required<ScenarioMix> {
  const result = MixSchema.safeParse(mix);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `mix.${issue.path.join('.')}` : 'mix';
    throw new Error(`invalid scenario ${where}: ${issue?.message ?? 'unknown problem'}`);
  }
  return Object.fromEntries(MIX_KEYS.map((k) => [k, result.data[k] ?? 0])) as Required<ScenarioMix>;
}

export interface GenerateOptions {
  split: Split;
  seed: number;
  mix?: ScenarioMix;
  /** Probability that an episode shows its tools under fresh names (see rename.ts); train split only. Default 0. */
  renameTools?: number;
}

function checkOptions(split: unknown, seed: unknown, rename: unknown): void {
  if (split !== 'train' && split !== 'test') throw new Error(`split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${JSON.stringify(seed)}`);
  if (rename === undefined) return;
  if (typeof rename !== 'number' || !(rename >= 0 && rename <= 1)) throw new Error(`renameTools must be a number in [0, 1], got ${JSON.stringify(rename)}`);
  // Test episodes keep the catalog's names: they measure whether reading the tool list carries over to unseen tools.
  if (rename > 0 && split !== 'train') throw new Error(`renameTools is for the train split only, got ${rename} for '${split}'`);
}

/** Kinds in the mix's proportions along a golden-ratio sequence: close to exact shares in any window, still index-addressable. */
function kindAt(weights: Required<ScenarioMix>, seed: number, split: Split, index: number): MixKey {
  const offset = new Rng(seed).fork(`kinds/${split}`).next();
  const u = (offset + index * 0.6180339887498949) % 1;
  // Scaled by the largest weight first: a sum of huge weights (1e308) would overflow to Infinity and zero every share.
  const top = Math.max(...MIX_KEYS.map((k) => weights[k]));
  const total = MIX_KEYS.reduce((a, k) => a + weights[k] / top, 0);
  let acc = 0;
  for (const k of MIX_KEYS) {
    acc += weights[k] / top / total;
    if (u < acc) return k;
  }
  return MIX_KEYS.filter((k) => weights[k] > 0).at(-1) as MixKey;
}

const inSplit = (domain: Domain, split: Split) => (t: { tools: readonly string[] }) =>
  t.tools.every((name) => domain.tools.find((x) => x.name === name)?.split === split);

/** What a domain offers for one kind in one split; an empty list means the domain cannot make that kind there. */
function pools(domain: Domain, split: Split) {
  const ok = inSplit(domain, split);
  const goals = domain.goals.filter((g) => ok({ tools: [g.tool] }));
  return {
    benignUser: [...domain.user.filter((u) => u.cls === 'benign' && ok(u)), ...domain.reads.filter(ok)],
    maliciousUser: domain.user.filter((u) => u.cls === 'malicious' && ok(u)),
    sensitiveUser: domain.user.filter((u) => u.cls === 'sensitive' && ok(u)),
    benignTool: domain.reads.filter(ok),
    maliciousTool: goals.length > 0 ? domain.reads.filter(ok) : [],
    sensitiveTool: domain.chains.filter(ok),
    goals,
  };
}

// Politeness and framing around a prompt; split like templates so test prompts read differently.
const PREFIXES: Record<Split, string[]> = {
  train: ['', '', '', 'Hi!', 'Hey.', 'Quick one:', 'Please help.', 'Morning!', 'Okay.', 'Can you do this?'],
  test: ['', '', '', 'Hello there.', 'One more thing:', 'Hiya!', 'Small request:', 'Good evening.'],
};
const SUFFIXES: Record<Split, string[]> = {
  train: ['', '', '', 'Thanks!', 'Thank you.', 'Cheers.', 'ASAP please.', 'No rush.'],
  test: ['', '', '', 'Much appreciated.', 'Ta.', 'Thanks a lot!', 'When you can.'],
};
export const MAX_PROMPT_WORDS = 30;

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

function phrase(rng: Rng, split: Split, domain: string, intent: { id: string; prompts: string[] }, slots: Slots) {
  const i = rng.int(0, intent.prompts.length - 1);
  const bare = fill(intent.prompts[i] as string, slots);
  const decorated = [rng.pick(PREFIXES[split]), bare, rng.pick(SUFFIXES[split])].filter(Boolean).join(' ');
  return { user: words(decorated) <= MAX_PROMPT_WORDS ? decorated : bare, template: `${domain}.${intent.id}.${i}` };
}

const copy = (c: ToolCall): ToolCall => ({ name: c.name, arguments: { ...c.arguments } });

/** One episode, addressed by index: the same arguments always give the same episode. */
export function generateEpisode(opts: GenerateOptions & { index: number }): Episode {
  const { split, seed, index } = opts;
  checkOptions(split, seed, opts.renameTools);
  if (!Number.isInteger(index) || index < 0) throw new Error(`index must be an integer >= 0, got ${JSON.stringify(index)}`);
  const weights = opts.mix === undefined ? DEFAULT_MIX : parseMix(opts.mix);
  const kind = kindAt(weights, seed, split, index);
  const rng = new Rng(seed).fork(`episode/${split}/${index}`);
  const domain = rng.pick(DOMAINS.filter((d) => pools(d, split)[kind].length > 0));
  const pool = pools(domain, split);

  const owner = makeOwner(rng);
  const world: WorldState = { owner, collections: { contacts: makeContacts(rng) }, outbox: [] };
  Object.assign(world.collections, domain.world(rng, world));
  const ctx: Ctx = { rng, world };
  const labels = EPISODE_KINDS[kind];
  let taskCalls: ToolCall[] = [];
  let forbiddenCalls: ToolCall[] = [];
  let injection: Injection | null = null;
  let sensitiveTools: string[] = [];
  let text: { user: string; template: string };

  switch (kind) {
    case 'benignUser': {
      const intent = rng.pick(pool.benignUser);
      if ('cls' in intent) {
        const built = intent.build(ctx);
        taskCalls = built.calls;
        text = phrase(rng, split, domain.name, intent, built.slots);
      } else {
        const built = intent.build(ctx);
        taskCalls = [built.call];
        text = phrase(rng, split, domain.name, intent, built.slots);
      }
      break;
    }
    case 'maliciousUser':
    case 'sensitiveUser': {
      const intent = rng.pick(pool[kind]);
      const built = intent.build(ctx);
      text = phrase(rng, split, domain.name, intent, built.slots);
      if (kind === 'maliciousUser') forbiddenCalls = built.calls;
      else {
        taskCalls = built.calls;
        sensitiveTools = sensitiveOf(domain, built.calls);
      }
      break;
    }
    case 'benignTool':
    case 'maliciousTool': {
      const intent = rng.pick(pool[kind]);
      const built = intent.build(ctx);
      taskCalls = [built.call];
      text = phrase(rng, split, domain.name, intent, built.slots);
      if (kind === 'maliciousTool') {
        const goal = rng.pick(pool.goals).build(ctx);
        const rec = world.collections[built.target.collection]?.[built.target.key];
        if (!rec) throw new Error(`${domain.name}.${intent.id}: target ${built.target.collection}/${built.target.key} missing`);
        const style = rng.pick(INJECTION_STYLES);
        injection = plantInjection(rng, split, style, rec, built.target, goal, owner.name.split(' ')[0] as string);
        forbiddenCalls = [goal.call];
      }
      break;
    }
    case 'sensitiveTool': {
      const intent = rng.pick(pool.sensitiveTool);
      const built = intent.build(ctx);
      taskCalls = built.calls;
      sensitiveTools = sensitiveOf(domain, built.calls);
      text = phrase(rng, split, domain.name, intent, built.slots);
      break;
    }
  }

  const needed = new Set([...taskCalls, ...forbiddenCalls].map((c) => c.name));
  const distractors = rng.shuffle(domain.tools.filter((t) => t.split === split && !needed.has(t.name)));
  const count = Math.max(needed.size, rng.int(3, 5));
  const shown: CatalogTool[] = [
    ...domain.tools.filter((t) => needed.has(t.name)),
    ...distractors.slice(0, Math.max(0, count - needed.size)),
  ];

  const episode: Episode = {
    id: `${split}-${seed}-${index}`,
    split,
    seed: rng.int(0, 2 ** 31 - 1),
    domain: domain.name,
    template: text.template,
    tools: rng.shuffle(shown),
    user: text.user,
    labels: { ...labels },
    world,
    taskCalls: taskCalls.map(copy),
    forbiddenCalls: forbiddenCalls.map(copy),
    injection,
    sensitiveTools,
  };
  if (!opts.renameTools) return episode;
  // A generator of its own, so the episode above is the same whatever share of episodes is renamed.
  const renameRng = new Rng(seed).fork(`rename/${split}/${index}`);
  return renameRng.bool(opts.renameTools) ? renameTools(episode, renameRng) : episode;
}

function sensitiveOf(domain: Domain, calls: ToolCall[]): string[] {
  return [...new Set(calls.map((c) => c.name).filter((n) => domain.tools.find((t) => t.name === n)?.sensitive))];
}

/** n episodes: episode i is generateEpisode({ split, seed, index: i, mix, renameTools }). */
export function generateEpisodes(opts: GenerateOptions & { n: number }): Episode[] {
  const { split, seed, n, mix } = opts;
  checkOptions(split, seed, opts.renameTools);
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be an integer >= 0, got ${JSON.stringify(n)}`);
  const weights = mix === undefined ? undefined : parseMix(mix);
  return Array.from({ length: n }, (_, index) => generateEpisode({ split, seed, index, mix: weights, renameTools: opts.renameTools }));
}

/** The catalog: every tool of every domain, or one split's. */
export function catalogTools(split?: Split): CatalogTool[] {
  const all = DOMAINS.flatMap((d) => d.tools);
  return split === undefined ? all : all.filter((t) => t.split === split);
}
