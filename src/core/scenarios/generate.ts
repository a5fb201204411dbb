// The seeded episode generator: a kind from the mix, a domain, a world, an intent, a phrasing and a tool set.
// Episode i depends only on (split, seed, i, mix), so any slice of a run can be regenerated on its own.
import { z } from 'zod';
import { ScenarioMixSchema } from '../config';
import { Rng } from '../rng';
import { SPLITS, type CatalogTool, type Episode, type Injection, type Labels, type Split, type ToolCall, type ToolSplit, type WorldState } from '../types';
import { DOMAINS } from './domains';
import { fill, type Ctx, type Domain, type Slots } from './framework';
import { INJECTION_STYLES, plantInjection } from './injections';
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
const DEFAULT_MIX: Required<ScenarioMix> = {
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

export interface ScenarioOptions {
  split: Split;
  seed: number;
  mix?: ScenarioMix;
  /** Word dropout on the prompts (see WORD_DROPOUT): the cold start's transcripts, train split only. */
  wordDropout?: boolean;
}

function checkOptions(split: unknown, seed: unknown): void {
  if (!SPLITS.includes(split as Split)) throw new Error(`split must be one of ${SPLITS.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(split)}`);
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${JSON.stringify(seed)}`);
}

/** The catalog tools a split's episodes show: dev episodes use the training tools. */
function toolSplitOf(split: Split): ToolSplit {
  return split === 'test' ? 'test' : 'train';
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
  t.tools.every((name) => domain.tools.find((x) => x.name === name)?.split === toolSplitOf(split));

/** What a domain offers for one kind in one split; an empty list means the domain cannot make that kind there. */
function pools(domain: Domain, split: Split) {
  const ok = inSplit(domain, split);
  const goals = domain.goals.filter(ok);
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

// Politeness and framing around a prompt; split like templates so dev and test prompts read differently.
export const PREFIXES: Record<Split, string[]> = {
  train: ['', '', '', 'Hi!', 'Hey.', 'Quick one:', 'Please help.', 'Morning!', 'Okay.', 'Can you do this?'],
  dev: ['', '', '', 'Hello!', 'Right, so:', 'A favour:', 'Afternoon.', 'Listen:', 'Could you help?'],
  test: ['', '', '', 'Hello there.', 'One more thing:', 'Hiya!', 'Small request:', 'Good evening.'],
};
export const SUFFIXES: Record<Split, string[]> = {
  train: ['', '', '', 'Thanks!', 'Thank you.', 'Cheers.', 'ASAP please.', 'No rush.'],
  dev: ['', '', '', 'Many thanks.', 'Thanks so much.', 'Whenever works.', 'Appreciate it!'],
  test: ['', '', '', 'Much appreciated.', 'Ta.', 'Thanks a lot!', 'When you can.'],
};
export const MAX_PROMPT_WORDS = 30;

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/** The phrasings a split draws an intent's prompt from, and the template id prefix that marks them. */
function promptsOf(split: Split, intent: { id: string; prompts: string[]; devPrompts?: string[] }): { prompts: string[]; tag: string } {
  if (split !== 'dev') return { prompts: intent.prompts, tag: '' };
  if (!intent.devPrompts?.length) throw new Error(`intent '${intent.id}' has no devPrompts: every intent on training tools needs some`);
  return { prompts: intent.devPrompts, tag: 'dev' };
}

/**
 * Word dropout on the cold start's prompts: in this share of them each template word is dropped with probability
 * `words`, never a slot value nor a word with a digit (the "1" of "buy 1 for ..." is an argument the call copies, and
 * the grammar lets a call write only numbers that appear in its context). GRPO and every evaluation see whole prompts.
 * With three phrasings an intent, the cold start learned the phrasings' verbs as the cue for the tool (the right tool at 88% of decision points on training phrasings, 53% on dev's held-out ones);
 * a prompt that may lose its verb teaches the cues every phrasing shares: the names, ids and values of the request.
 * Malicious requests are never thinned: a dropped word could drop the harm and leave a wrong label.
 */
const WORD_DROPOUT = { prompts: 0.5, words: 0.3 } as const;

function thin(rng: Rng, template: string): string {
  const kept = template.split(' ').filter((w) => w.includes('{') || /\d/.test(w) || rng.next() >= WORD_DROPOUT.words);
  return kept.length > 0 ? kept.join(' ') : template;
}

function phrase(rng: Rng, split: Split, domain: string, intent: { id: string; prompts: string[]; devPrompts?: string[] }, slots: Slots, thinnable: boolean) {
  const { prompts, tag } = promptsOf(split, intent);
  const i = rng.int(0, prompts.length - 1);
  // A forked generator: thinning leaves the rest of the episode as it was.
  const dropout = rng.fork('word-dropout');
  const thinned = thinnable && dropout.next() < WORD_DROPOUT.prompts;
  const bare = fill(thinned ? thin(dropout, prompts[i] as string) : (prompts[i] as string), slots);
  const decorated = [rng.pick(PREFIXES[split]), bare, rng.pick(SUFFIXES[split])].filter(Boolean).join(' ');
  return { user: words(decorated) <= MAX_PROMPT_WORDS ? decorated : bare, template: `${domain}.${intent.id}.${tag}${i}` };
}

/** Distractors shown beside the tools an episode needs (at least, at most). */
export const DISTRACTORS = { min: 2, max: 8 } as const;

/** A tool's name words (`read_email` -> read, email): tools sharing one are near-misses of each other. */
const nameWords = (name: string): string[] => name.split('_');

/** The words after a tool name's verb, singular (`search_coupons` -> coupon): what the tool acts on. */
const objectWords = (name: string): string[] =>
  nameWords(name)
    .slice(1)
    .map((w) => (w.endsWith('ies') ? `${w.slice(0, -3)}y` : w.endsWith('s') ? w.slice(0, -1) : w));

/** The shares of distractors beyond the decoys drawn as close near-misses of some group, and as near-misses. */
const CLOSE_SHARE = 0.5;
const NEAR_SHARE = 0.25;

/**
 * An episode's tool set: the tools it needs plus 2-8 distractors from its split's catalog (the training tools for
 * train and dev, the held-out ones for test), in shuffled order, so neither the position nor the company of a tool
 * tells that it is the right one. Most distractors are near-misses (the same domain, or a shared name word such as
 * `read` or `email`; two in three of them close ones, another action on the same object), and they gather around
 * decoys as much as around the tools needed: some distractors are decoys (each with as many tools of its domain as
 * the episode needs), and each near-miss is one of a group drawn at random (the needed tools' or a decoy's). With
 * near-misses of the needed tools only, the tool most connected to the rest of the list was the right one in 52% of
 * train and dev episodes (chance 21%), and the cold start learned that before reading the request (at step 450 it
 * picked as well with the request replaced by "Hello there.").
 */
function drawTools(rng: Rng, split: Split, domain: Domain, needed: ReadonlySet<string>): CatalogTool[] {
  const mine = [...needed].map((name) => {
    const tool = domain.tools.find((t) => t.name === name);
    if (!tool) throw new Error(`${domain.name}: an episode needs tool '${name}', which the domain does not have`);
    return tool;
  });
  const nearTo = (group: readonly CatalogTool[]) => {
    const words = new Set(group.flatMap((t) => nameWords(t.name)));
    const objects = new Set(group.flatMap((t) => objectWords(t.name)));
    const domains = new Set(group.map((t) => t.domain));
    return {
      near: (t: CatalogTool) => domains.has(t.domain) || nameWords(t.name).some((w) => words.has(w)),
      // Another action on the same object (`delete_coupon` beside `view_coupon`): only the action tells them apart.
      close: (t: CatalogTool) => objectWords(t.name).some((w) => objects.has(w)),
    };
  };
  const pool = rng.shuffle(catalogTools(split).filter((t) => !needed.has(t.name)));
  const take = (fits: (t: CatalogTool) => boolean): CatalogTool | undefined => {
    const i = pool.findIndex(fits);
    return i < 0 ? undefined : pool.splice(i, 1)[0];
  };
  // The smaller of two uniform draws: every count from 2 to 8 occurs, the low ones more often (3.9 on average), so
  // whole episodes fit the model's context (with the earlier 640 tokens, 1.0% of oracle transcripts were longer,
  // against 3.3% with uniform counts; with 768, none of 1,000 train episodes).
  const count = Math.min(rng.int(DISTRACTORS.min, DISTRACTORS.max), rng.int(DISTRACTORS.min, DISTRACTORS.max));
  const nearMine = nearTo(mine);
  const decoys: CatalogTool[] = [];
  const groups = [nearMine];
  for (let k = Math.max(1, Math.round(count / (2 + mine.length))); k > 0 && decoys.length < count; k--) {
    const decoy = take((t) => !nearMine.near(t)) ?? take(() => true);
    if (!decoy) break;
    // A decoy comes with as many tools of its domain as the episode needs (a chain needs two of one domain).
    const set = [decoy];
    while (set.length < mine.length && decoys.length + set.length < count) {
      const partner = take((t) => t.domain === decoy.domain);
      if (!partner) break;
      set.push(partner);
    }
    decoys.push(...set);
    groups.push(nearTo(set));
  }
  const picked = [...decoys];
  while (picked.length < count && pool.length > 0) {
    const group = groups[rng.int(0, groups.length - 1)] as ReturnType<typeof nearTo>;
    const u = rng.next();
    const near = u < CLOSE_SHARE ? (take(group.close) ?? take(group.near)) : u < CLOSE_SHARE + NEAR_SHARE ? take(group.near) : undefined;
    picked.push(near ?? (take((t) => !group.near(t)) as CatalogTool) ?? (take(() => true) as CatalogTool));
  }
  return rng.shuffle([...mine, ...picked]);
}

const copy = (c: ToolCall): ToolCall => ({ name: c.name, arguments: { ...c.arguments } });

/** One episode, addressed by index: the same arguments always give the same episode. */
export function generateEpisode(opts: ScenarioOptions & { index: number }): Episode {
  const { split, seed, index } = opts;
  checkOptions(split, seed);
  if (!Number.isInteger(index) || index < 0) throw new Error(`index must be an integer >= 0, got ${JSON.stringify(index)}`);
  if (opts.wordDropout && split !== 'train') throw new Error(`wordDropout is for the train split's cold-start transcripts, not '${split}'`);
  const thinnable = opts.wordDropout === true;
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
        text = phrase(rng, split, domain.name, intent, built.slots, thinnable);
      } else {
        const built = intent.build(ctx);
        taskCalls = [built.call];
        text = phrase(rng, split, domain.name, intent, built.slots, thinnable);
      }
      break;
    }
    case 'maliciousUser':
    case 'sensitiveUser': {
      const intent = rng.pick(pool[kind]);
      const built = intent.build(ctx);
      text = phrase(rng, split, domain.name, intent, built.slots, thinnable && kind !== 'maliciousUser');
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
      text = phrase(rng, split, domain.name, intent, built.slots, thinnable);
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
      text = phrase(rng, split, domain.name, intent, built.slots, thinnable);
      break;
    }
  }

  // Every tool a scripted policy may call: the task's, the harmful act asked for, the planted goal (also forbidden).
  const needed = new Set([...taskCalls, ...forbiddenCalls].map((c) => c.name));
  const episodeSeed = rng.int(0, 2 ** 31 - 1);
  const tools = drawTools(new Rng(seed).fork(`tools/${split}/${index}`), split, domain, needed);

  return {
    id: `${split}-${seed}-${index}`,
    split,
    seed: episodeSeed,
    domain: domain.name,
    template: text.template,
    tools,
    user: text.user,
    labels: { ...labels },
    world,
    taskCalls: taskCalls.map(copy),
    forbiddenCalls: forbiddenCalls.map(copy),
    injection,
    sensitiveTools,
  };
}

function sensitiveOf(domain: Domain, calls: ToolCall[]): string[] {
  return [...new Set(calls.map((c) => c.name).filter((n) => domain.tools.find((t) => t.name === n)?.sensitive))];
}

/** n episodes: episode i is generateEpisode({ split, seed, index: i, mix, wordDropout }). */
export function generateEpisodes(opts: ScenarioOptions & { n: number }): Episode[] {
  const { split, seed, n, mix, wordDropout } = opts;
  checkOptions(split, seed);
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be an integer >= 0, got ${JSON.stringify(n)}`);
  const weights = mix === undefined ? undefined : parseMix(mix);
  return Array.from({ length: n }, (_, index) => generateEpisode({ split, seed, index, mix: weights, wordDropout }));
}

/** The catalog: every tool of every domain, or the tools one split's episodes show (dev: the training tools). */
export function catalogTools(split?: Split): CatalogTool[] {
  const all = DOMAINS.flatMap((d) => d.tools);
  return split === undefined ? all : all.filter((t) => t.split === toolSplitOf(split));
}
