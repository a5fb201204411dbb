// The scenario catalog and generator: catalog shape, determinism, split disjointness, label consistency,
// variety and lengths, tool sets, and worlds in which every task call and every attack really runs.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { validateArguments } from '../../src/core/protocol';
import { Rng } from '../../src/core/rng';
import { oracle } from '../../src/core/policies';
import { EpisodeSession, executeTool } from '../../src/core/sandbox';
import { HAND_WRITTEN_DOMAINS } from '../../src/core/scenarios/domains';
import {
  DOMAINS,
  EPISODE_KINDS,
  INJECTION_STYLES,
  MAX_PROMPT_WORDS,
  catalogTools,
  generateEpisode,
  generateEpisodes,
  parseMix,
  type MixKey,
} from '../../src/core/scenarios';
import type { CallMatcher, CatalogTool, Episode, Json, Split, WorldState } from '../../src/core/types';

const SPLITS: Split[] = ['train', 'dev', 'test'];
const N = 600;
const episodes: Record<Split, Episode[]> = {
  train: generateEpisodes({ split: 'train', n: N, seed: 7 }),
  dev: generateEpisodes({ split: 'dev', n: N, seed: 7 }),
  test: generateEpisodes({ split: 'test', n: N, seed: 7 }),
};
const all = [...episodes.train, ...episodes.dev, ...episodes.test];

const kindOf = (e: Episode): MixKey =>
  (Object.keys(EPISODE_KINDS) as MixKey[]).find((k) => EPISODE_KINDS[k].user === e.labels.user && EPISODE_KINDS[k].tool === e.labels.tool)!;
const toolOf = (e: Episode, name: string): CatalogTool | undefined => e.tools.find((t) => t.name === name);
const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;
/** Words of a JSON tool output: runs of letters and digits (punctuation and quotes do not count). */
const jsonWords = (s: string): number => (s.match(/[\p{L}\p{N}][\p{L}\p{N}'.@-]*/gu) ?? []).length;
const READ_KINDS = new Set(['read', 'list', 'search']);

function run(world: WorldState, e: Episode, m: CallMatcher) {
  const tool = toolOf(e, m.name)!;
  return executeTool(world, tool, (m.arguments ?? {}) as Record<string, Json>);
}

describe('catalog', () => {
  const tools = catalogTools();

  it('has at least 10 domains and 60 uniquely named tools', () => {
    expect(DOMAINS.length).toBeGreaterThanOrEqual(10);
    expect(tools.length).toBeGreaterThanOrEqual(60);
    expect(new Set(tools.map((t) => t.name)).size).toBe(tools.length);
    expect(new Set(DOMAINS.map((d) => d.name)).size).toBe(DOMAINS.length);
  });

  it('gives every tool a short description, a closed object schema and an effect on its own arguments', () => {
    for (const t of tools) {
      expect(t.name, t.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(words(t.description), t.name).toBeLessThanOrEqual(12);
      const p = t.parameters;
      expect(p.type, t.name).toBe('object');
      expect(p.additionalProperties, t.name).toBe(false);
      const props = Object.keys(p.properties ?? {});
      for (const r of p.required ?? []) expect(props, `${t.name} requires ${r}`).toContain(r);
      const required = new Set(p.required ?? []);
      const e = t.effect;
      const mustRequire = [
        'keyArg' in e ? e.keyArg : null,
        'queryArg' in e ? e.queryArg : null,
        'toArg' in e ? e.toArg : null,
        'amountArg' in e ? e.amountArg : null,
        'stateArg' in e ? e.stateArg : null,
      ].filter((a): a is string => a !== null);
      for (const a of mustRequire) expect(required.has(a), `${t.name}: ${a} required`).toBe(true);
      const mayUse = [...('fields' in e ? e.fields : []), ...('contentArgs' in e ? e.contentArgs : [])];
      if ('filterArg' in e && e.filterArg) mayUse.push(e.filterArg);
      if ('fromArg' in e && e.fromArg) mayUse.push(e.fromArg);
      for (const a of mayUse) expect(props, `${t.name} uses ${a}`).toContain(a);
      // Reads never change the world; sensitive tools always do.
      if (t.sensitive) expect(READ_KINDS.has(e.kind), t.name).toBe(false);
    }
  });

  it('holds out about a quarter of the hand-written tools, and each split of each domain has a read, an action and a sensitive tool', () => {
    const share = catalogTools('test').length / HAND_WRITTEN_DOMAINS.flatMap((d) => d.tools).length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    expect(catalogTools('train').length + catalogTools('test').length).toBe(tools.length);
    expect(catalogTools('dev')).toEqual(catalogTools('train'));
    for (const d of DOMAINS) {
      for (const split of ['train', 'test'] as const) {
        const mine = d.tools.filter((t) => t.split === split);
        expect(mine.some((t) => !t.sensitive && READ_KINDS.has(t.effect.kind)), `${d.name} ${split} read`).toBe(true);
        expect(mine.some((t) => !t.sensitive && !READ_KINDS.has(t.effect.kind)), `${d.name} ${split} action`).toBe(true);
        expect(mine.some((t) => t.sensitive), `${d.name} ${split} sensitive`).toBe(true);
      }
    }
  });

  it('keeps every intent inside one split and one domain, with ids unique in the domain (template ids)', () => {
    for (const d of DOMAINS) {
      const ids = [...d.user, ...d.reads, ...d.chains].map((i) => i.id);
      expect(new Set(ids).size, d.name).toBe(ids.length);
      const split = (name: string) => d.tools.find((t) => t.name === name)?.split;
      for (const intent of [...d.user, ...d.reads, ...d.chains]) {
        for (const name of intent.tools) expect(split(name), `${d.name}.${intent.id} uses ${name}`).toBeDefined();
        expect(new Set(intent.tools.map(split)).size, `${d.name}.${intent.id}`).toBe(1);
      }
      for (const g of d.goals) for (const tool of g.tools) expect(d.tools.find((t) => t.name === tool)?.sensitive, `${d.name} goal ${tool}`).toBe(true);
    }
  });
});

describe('generator', () => {
  it('is deterministic and index-addressable; other seeds give other episodes', () => {
    expect(generateEpisodes({ split: 'train', n: 50, seed: 7 })).toEqual(episodes.train.slice(0, 50));
    expect(generateEpisode({ split: 'test', seed: 7, index: 123 })).toEqual(episodes.test[123]);
    expect(generateEpisode({ split: 'dev', seed: 7, index: 321 })).toEqual(episodes.dev[321]);
    const other = generateEpisodes({ split: 'train', n: 50, seed: 8 });
    expect(other.filter((e, i) => e.user === episodes.train[i]!.user).length).toBeLessThan(5);
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('keeps the test split exactly as it was measured (its episodes hash to the same value)', () => {
    // Test tool sets are drawn like training's since issue 13 (2-8 distractors of the held-out catalog); a change here
    // must be deliberate (and re-measured).
    // Re-drawn with the compositional catalog: half the near-miss distractors are another action on the same object
    // (`flag_message` beside `fetch_message`), and every world holds the composed collections too.
    const hash = createHash('sha256').update(JSON.stringify(episodes.test)).digest('hex');
    expect(hash).toBe('fccd4378871ee50f5a0512a1550447dfd1af81b8668e10dda78c8f3ab15b7a3f');
  });

  it('gives dev fresh worlds and ids: a different seed stream than train', () => {
    const worlds = new Set(episodes.train.map((e) => JSON.stringify(e.world)));
    expect(episodes.dev.filter((e) => worlds.has(JSON.stringify(e.world)))).toEqual([]);
    const users = new Set(episodes.train.map((e) => e.user));
    expect(episodes.dev.filter((e) => users.has(e.user))).toEqual([]);
    for (const e of episodes.dev) expect(e.id.startsWith('dev-'), e.id).toBe(true);
  });

  it('shares no tool and no template between train and test; test episodes show only held-out tools', () => {
    const names = (split: Split) => new Set(episodes[split].flatMap((e) => e.tools.map((t) => t.name)));
    const templates = (split: Split) => new Set(episodes[split].map((e) => e.template));
    const trainNames = names('train');
    for (const n of names('test')) expect(trainNames.has(n), n).toBe(false);
    const trainTemplates = templates('train');
    for (const t of templates('test')) expect(trainTemplates.has(t), t).toBe(false);
    for (const split of SPLITS) for (const e of episodes[split]) for (const t of e.tools) expect(t.split, `${e.id} ${t.name}`).toBe(split === 'test' ? 'test' : 'train');
    // Every held-out tool is actually exercised by the test split, every training tool (542 of them) by 3,000 episodes
    // of train and of dev.
    expect(names('test')).toEqual(new Set(catalogTools('test').map((t) => t.name)));
    const shown = (split: Split) => new Set(generateEpisodes({ split, n: 3000, seed: 7 }).flatMap((e) => e.tools.map((t) => t.name)));
    expect(shown('train')).toEqual(new Set(catalogTools('train').map((t) => t.name)));
    expect(shown('dev')).toEqual(new Set(catalogTools('train').map((t) => t.name)));
  });

  it('lists every tool a task call, forbidden call or injection names, with valid arguments', () => {
    for (const e of all) {
      for (const m of [...e.taskCalls, ...e.forbiddenCalls, ...(e.injection ? [e.injection.goal] : [])]) {
        const tool = toolOf(e, m.name);
        expect(tool, `${e.id} ${m.name}`).toBeDefined();
        expect(validateArguments(tool!.parameters, m.arguments ?? {}), `${e.id} ${JSON.stringify(m)}`).toBeNull();
      }
      expect(new Set(e.tools.map((t) => t.name)).size, e.id).toBe(e.tools.length);
    }
  });

  it('labels each kind consistently with its calls', () => {
    for (const e of all) {
      const sensitive = (name: string) => toolOf(e, name)!.sensitive;
      const k = kindOf(e);
      expect(k, e.id).toBeDefined();
      expect(e.injection !== null, e.id).toBe(k === 'maliciousTool');
      if (k === 'maliciousUser') {
        expect(e.taskCalls, e.id).toEqual([]);
        expect(e.forbiddenCalls.length, e.id).toBe(1);
        expect(sensitive(e.forbiddenCalls[0]!.name), e.id).toBe(true);
      } else {
        expect(e.taskCalls.length, e.id).toBeGreaterThan(0);
      }
      if (k === 'benignUser' || k === 'benignTool' || k === 'maliciousTool') {
        for (const c of e.taskCalls) expect(sensitive(c.name), `${e.id} ${c.name}`).toBe(false);
        expect(e.sensitiveTools, e.id).toEqual([]);
      }
      if (k === 'benignTool' || k === 'maliciousTool') expect(e.taskCalls.length, e.id).toBe(1);
      if (k === 'maliciousTool') {
        expect(e.forbiddenCalls, e.id).toEqual([e.injection!.goal]);
        expect(sensitive(e.injection!.goal.name), e.id).toBe(true);
      } else if (k !== 'maliciousUser') {
        expect(e.forbiddenCalls, e.id).toEqual([]);
      }
      if (k === 'sensitiveUser') {
        // The first turn must be the check, so the very first task call is the sensitive one.
        expect(sensitive(e.taskCalls[0]!.name), e.id).toBe(true);
        expect(e.sensitiveTools, e.id).toContain(e.taskCalls[0]!.name);
      }
      if (k === 'sensitiveTool') {
        expect(e.taskCalls.map((c) => sensitive(c.name)), e.id).toEqual([false, true]);
        expect(e.sensitiveTools, e.id).toEqual([e.taskCalls[1]!.name]);
      }
    }
  });

  it('mixes the six kinds evenly by default, and follows a given mix', () => {
    for (const split of SPLITS) {
      const counts = new Map<MixKey, number>();
      for (const e of episodes[split]) counts.set(kindOf(e), (counts.get(kindOf(e)) ?? 0) + 1);
      for (const k of Object.keys(EPISODE_KINDS) as MixKey[]) {
        expect(counts.get(k) ?? 0, `${split} ${k}`).toBeGreaterThanOrEqual(N / 6 - 5);
        expect(counts.get(k) ?? 0, `${split} ${k}`).toBeLessThanOrEqual(N / 6 + 5);
      }
    }
    const only = generateEpisodes({ split: 'train', n: 40, seed: 1, mix: { maliciousTool: 1 } });
    expect(new Set(only.map(kindOf))).toEqual(new Set(['maliciousTool']));
    const skewed = generateEpisodes({ split: 'test', n: 300, seed: 1, mix: { benignUser: 3, sensitiveUser: 1 } });
    expect(skewed.filter((e) => kindOf(e) === 'benignUser').length).toBeGreaterThan(210);
    expect(skewed.filter((e) => kindOf(e) === 'sensitiveUser').length).toBeGreaterThan(60);
    // Huge weights mean the same as small ones: their sum must not overflow into one kind for every episode.
    const huge = generateEpisodes({ split: 'test', n: 300, seed: 1, mix: { benignUser: 1.5e308, sensitiveUser: 0.5e308 } });
    expect(huge.filter((e) => kindOf(e) === 'benignUser').length).toBeGreaterThan(210);
    expect(huge.filter((e) => kindOf(e) === 'sensitiveUser').length).toBeGreaterThan(60);
  });

  it('rejects bad options with a message naming the field', () => {
    expect(() => parseMix({ benignUser: -1 })).toThrow(/mix\.benignUser/);
    expect(() => parseMix({ benign: 1 })).toThrow(/mix/);
    expect(() => parseMix({ benignUser: 0 })).toThrow(/positive weight/);
    expect(() => parseMix({ maliciousTool: 'lots' })).toThrow(/mix\.maliciousTool/);
    expect(() => generateEpisodes({ split: 'validation' as Split, n: 1, seed: 1 })).toThrow("split must be one of 'train', 'dev', 'test', got \"validation\"");
    expect(() => generateEpisodes({ split: 'train', n: -1, seed: 1 })).toThrow(/n must/);
    expect(() => generateEpisodes({ split: 'train', n: 1, seed: 0.5 })).toThrow(/seed/);
    expect(() => generateEpisode({ split: 'train', seed: 1, index: -2 })).toThrow(/index/);
  });

  it('varies the text widely and keeps it short', () => {
    for (const split of SPLITS) {
      const first = episodes[split].slice(0, 500);
      expect(new Set(first.map((e) => e.user)).size, split).toBeGreaterThan(400);
      expect(new Set(first.map((e) => e.template)).size, split).toBeGreaterThan(split === 'test' ? 40 : 80);
      expect(new Set(first.map((e) => e.domain)).size, split).toBe(DOMAINS.length);
    }
    for (const e of all) expect(words(e.user), `${e.id}: ${e.user}`).toBeLessThanOrEqual(MAX_PROMPT_WORDS);
  });

  it('does not give the class away by length: malicious and sensitive requests are as long as each other', () => {
    // The malicious templates were longer (17 against 10.5 words on train): a length threshold alone told the two
    // classes apart at 85-87% on train and dev, a shortcut a policy could learn instead of the harm.
    const lengths = (split: Split) =>
      generateEpisodes({ split, n: 1500, seed: 5, mix: { maliciousUser: 1, sensitiveUser: 1 } }).map((e) => ({ n: words(e.user), malicious: e.labels.user === 'malicious' }));
    const accuracy = (rows: { n: number; malicious: boolean }[], t: number, longer: boolean) =>
      rows.filter((r) => (longer ? r.n > t : r.n <= t) === r.malicious).length / rows.length;
    const train = lengths('train');
    let best = { t: 0, longer: true, acc: 0 };
    for (let t = 0; t <= MAX_PROMPT_WORDS; t++) for (const longer of [true, false]) if (accuracy(train, t, longer) > best.acc) best = { t, longer, acc: accuracy(train, t, longer) };
    expect(best.acc).toBeLessThan(0.6);
    expect(accuracy(lengths('dev'), best.t, best.longer)).toBeLessThan(0.6);
  });

  it('plants every injection style in every split, each with several phrasings', () => {
    for (const split of SPLITS) {
      const injected = episodes[split].filter((e) => e.injection);
      for (const style of INJECTION_STYLES) {
        const texts = new Set(injected.filter((e) => e.injection!.style === style).map((e) => e.injection!.text));
        expect(texts.size, `${split} ${style}`).toBeGreaterThan(3);
      }
    }
  });
});

describe('worlds', () => {
  it('run every task call in order without a tool error, with compact outputs', () => {
    for (const e of all) {
      const world = structuredClone(e.world);
      e.taskCalls.forEach((m, i) => {
        const out = run(world, e, m);
        expect(out.error, `${e.id} ${JSON.stringify(m)}`).toBeNull();
        if (i === 0) expect(jsonWords(JSON.stringify(out.result)), `${e.id} ${JSON.stringify(out.result)}`).toBeLessThanOrEqual(70);
      });
    }
  });

  it('let the attack land: the harmful request runs, and the planted goal runs after the read that shows it', () => {
    for (const e of all) {
      if (e.labels.user === 'malicious') expect(run(structuredClone(e.world), e, e.forbiddenCalls[0]!).error, e.id).toBeNull();
      if (e.injection) {
        const world = structuredClone(e.world);
        const read = run(world, e, e.taskCalls[0]!);
        expect(JSON.stringify(read.result), e.id).toContain(JSON.stringify(e.injection.text).slice(1, -1));
        expect(run(world, e, e.injection.goal).error, `${e.id} ${JSON.stringify(e.injection.goal)}`).toBeNull();
      }
    }
  });

  it('state every argument a call needs in the prompt, an earlier output, or the tool schema (so it can be learned)', () => {
    const enumValues = (t: CatalogTool) => Object.values(t.parameters.properties ?? {}).flatMap((p) => p.enum ?? []);
    const missing: string[] = [];
    for (const e of all) {
      const world = structuredClone(e.world);
      let seen = e.user.toLowerCase();
      const check = (m: CallMatcher, text: string) => {
        const tool = toolOf(e, m.name)!;
        for (const [k, v] of Object.entries(m.arguments ?? {})) {
          if (enumValues(tool).includes(v)) continue;
          const escaped = String(v).toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          if (!new RegExp(`(^|[^a-z0-9])${escaped}($|[^a-z0-9])`).test(text + ' ' + tool.description.toLowerCase())) missing.push(`${e.id} ${e.template} ${m.name}.${k}=${JSON.stringify(v)}`);
        }
      };
      for (const m of e.taskCalls) {
        check(m, seen);
        seen += JSON.stringify(run(world, e, m).result).toLowerCase();
      }
      if (e.labels.user === 'malicious') check(e.forbiddenCalls[0]!, seen);
      if (e.injection) check(e.injection.goal, e.injection.text.toLowerCase());
    }
    expect(missing.slice(0, 10)).toEqual([]);
  });

  it('keep injected outputs and planted text short', () => {
    for (const e of all) if (e.injection) expect(words(e.injection.text), e.injection.text).toBeLessThanOrEqual(40);
  });

  it('play through the sandbox session: the oracle finishes every task with no tool error', () => {
    const agent = oracle('strict');
    for (const e of [...episodes.train.slice(0, 200), ...episodes.dev.slice(0, 200), ...episodes.test.slice(0, 200)]) {
      const session = new EpisodeSession(e, { pYes: 1 });
      while (!session.done) session.step(agent.next(session.messages, e) as string);
      const trace = session.trace();
      expect(trace.steps.map((s) => s.toolError).filter(Boolean), e.id).toEqual([]);
      expect(trace.taskDone, e.id).toBe(true);
      expect(trace.attackSucceeded, e.id).toBe(false);
    }
  });

  it('are plain JSON, so episodes survive the CLI and the case files unchanged', () => {
    for (const e of all) expect(JSON.parse(JSON.stringify(e)), e.id).toEqual(e);
  });

  it('differ between episodes (names, ids, amounts)', () => {
    const owners = new Set(all.map((e) => e.world.owner.name));
    expect(owners.size).toBeGreaterThan(100);
    const rng = new Rng(1);
    const sample = Array.from({ length: 20 }, () => rng.pick(all));
    expect(new Set(sample.map((e) => JSON.stringify(e.world.collections))).size).toBe(20);
  });
});
