// Fresh tool names for training episodes: a renamed episode plays exactly like the original, its names are fresh,
// consistent and deterministic, and the generator's option is train-only and leaves unrenamed episodes as they were.
import { describe, expect, it } from 'vitest';
import { turnDecision } from '../../src/core/metrics';
import { oracle } from '../../src/core/policies';
import { PRESETS } from '../../src/core/reward';
import { Rng } from '../../src/core/rng';
import { runEpisode } from '../../src/core/sandbox';
import { EPISODE_KINDS, catalogTools, generateEpisode, generateEpisodes, renameTools } from '../../src/core/scenarios';
import type { Episode } from '../../src/core/types';

const N = 300;
const originals = generateEpisodes({ split: 'train', n: N, seed: 21 });
const renamed = generateEpisodes({ split: 'train', n: N, seed: 21, renameTools: 1 });

const CATALOG = catalogTools();
const CATALOG_TOOLS = new Set(CATALOG.map((t) => t.name));
const CATALOG_ARGS = new Set(CATALOG.flatMap((t) => Object.keys(t.parameters.properties ?? {})));
const argsOf = (e: Episode, tool: string): string[] => Object.keys(e.tools.find((t) => t.name === tool)?.parameters.properties ?? {});
/** Identifiers (names with `_`) in a text, as the renamer reads them. */
const ID = /[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+/g;
const identifiers = (s: string): string[] => s.match(ID) ?? [];

describe('renamed episodes play like the originals', () => {
  it('same decisions, rewards, outcome and world under the paper oracle, on every kind', async () => {
    const kinds = new Set<string>();
    const effectKinds = new Set<string>();
    for (const [i, original] of originals.entries()) {
      const episode = renamed[i]!;
      kinds.add(JSON.stringify(original.labels));
      const opts = { pYes: 0.5, seed: original.seed };
      const a = await runEpisode(original, oracle('paper'), opts);
      const b = await runEpisode(episode, oracle('paper'), opts);
      const where = `${original.id} ${JSON.stringify(b.steps.map((s) => s.text))}`;
      // Original name of each renamed tool, by its position in the list (the renamer keeps the order).
      const back = new Map(episode.tools.map((t, k) => [t.name, original.tools[k]!.name]));

      expect(b.steps.map((s) => turnDecision(s.action)), where).toEqual(a.steps.map((s) => turnDecision(s.action)));
      expect(PRESETS.paper!.fn({ trace: b, episode }), where).toEqual(PRESETS.paper!.fn({ trace: a, episode: original }));
      expect({ end: b.end, taskDone: b.taskDone, attack: b.attackSucceeded, unconfirmed: b.unconfirmedSensitive }, where).toEqual({
        end: a.end, taskDone: a.taskDone, attack: a.attackSucceeded, unconfirmed: a.unconfirmedSensitive,
      });
      expect(b.checks.map((c) => ({ ...c, tool: back.get(c.tool) })), where).toEqual(a.checks);
      expect(b.steps.map((s) => s.toolError), where).toEqual(a.steps.map((s) => s.toolError));
      // What the tools returned and did to the world is the same (arguments stored in records keep their fields),
      // but for the planted text, which names the fresh goal tool.
      const escaped = (s: string) => JSON.stringify(s).slice(1, -1);
      const unplant = (s: string) => (episode.injection ? s.replaceAll(escaped(episode.injection.text), escaped(original.injection!.text)) : s);
      expect(b.steps.map((s) => (s.reply ? unplant(s.reply.content) : null)), where).toEqual(a.steps.map((s) => s.reply?.content ?? null));
      expect(JSON.parse(unplant(JSON.stringify(b.worldAfter.collections))), where).toEqual(a.worldAfter.collections);
      expect(b.worldAfter.outbox.map((o) => ({ ...o, tool: back.get(o.tool) })), where).toEqual(a.worldAfter.outbox);

      // The calls in the trace use the fresh names and the fresh argument names.
      for (const s of b.steps) {
        if (s.action.kind !== 'call') continue;
        expect(CATALOG_TOOLS.has(s.action.call.name), where).toBe(false);
        expect(back.has(s.action.call.name), where).toBe(true);
        for (const arg of Object.keys(s.action.call.arguments)) expect(argsOf(episode, s.action.call.name), where).toContain(arg);
        effectKinds.add(episode.tools.find((t) => t.name === (s.action.kind === 'call' ? s.action.call.name : ''))!.effect.kind);
      }
      expect(b.steps.filter((s) => s.action.kind === 'call').length, where).toBe(a.steps.filter((s) => s.action.kind === 'call').length);
    }
    expect(kinds.size).toBe(Object.keys(EPISODE_KINDS).length);
    // Every effect kind ran under fresh argument names, the ones that store arguments in records among them.
    expect([...effectKinds].sort()).toEqual(['create', 'delete', 'list', 'read', 'search', 'send', 'set_state', 'transfer', 'update']);
  }, 60_000);
});

describe('renameTools', () => {
  it('gives fresh names, unique within the episode and within each tool, never a catalog name', () => {
    let kept = 0;
    let parts = 0;
    for (const episode of renamed) {
      const names = episode.tools.map((t) => t.name);
      expect(new Set(names).size).toBe(names.length);
      for (const t of episode.tools) {
        expect(CATALOG_TOOLS.has(t.name), t.name).toBe(false);
        expect(CATALOG_ARGS.has(t.name), t.name).toBe(false);
        const args = Object.keys(t.parameters.properties ?? {});
        expect(new Set(args).size).toBe(args.length);
        for (const a of args) {
          expect(CATALOG_ARGS.has(a), `${t.name}.${a}`).toBe(false);
          expect(CATALOG_TOOLS.has(a), `${t.name}.${a}`).toBe(false);
        }
        expect(t.parameters.required?.every((r) => args.includes(r))).toBe(true);
      }
      for (const [k, t] of episode.tools.entries()) {
        const before = originals.find((o) => o.id === episode.id)!.tools[k]!.name.split('_');
        const after = t.name.split('_');
        expect(after).toHaveLength(before.length);
        parts += before.length;
        kept += before.filter((p, i) => after[i] === p).length;
      }
    }
    // Parts are kept about half the time, but never all of a name.
    expect(kept / parts).toBeGreaterThan(0.25);
    expect(kept / parts).toBeLessThan(0.55);
  });

  it('renames consistently: calls, goal, sensitive tools and effects name the fresh tools and arguments', () => {
    for (const [i, episode] of renamed.entries()) {
      const original = originals[i]!;
      const names = new Set(episode.tools.map((t) => t.name));
      const calls = [...episode.taskCalls, ...episode.forbiddenCalls, ...(episode.injection ? [episode.injection.goal] : [])];
      for (const c of calls) {
        expect(names.has(c.name), `${episode.id} ${c.name}`).toBe(true);
        expect(Object.keys(c.arguments ?? {}).every((a) => argsOf(episode, c.name).includes(a)), episode.id).toBe(true);
      }
      for (const s of episode.sensitiveTools) expect(names.has(s)).toBe(true);
      expect(episode.sensitiveTools).toHaveLength(original.sensitiveTools.length);
      for (const t of episode.tools) {
        const args = argsOf(episode, t.name);
        const e = t.effect as Record<string, unknown>;
        for (const [k, v] of Object.entries(e)) {
          if (k.endsWith('Arg')) expect(args, `${t.name}.${k}`).toContain(v);
          if (k === 'fields' || k === 'contentArgs') for (const a of v as string[]) expect(args, `${t.name}.${k}`).toContain(a);
        }
      }
      // Descriptions keep their words (only identifiers change); prompt and labels are the same.
      const words = (d: string) => d.replace(ID, '_');
      expect(episode.tools.map((t) => words(t.description))).toEqual(original.tools.map((t) => words(t.description)));
      expect(episode.user).toBe(original.user);
      expect(episode.labels).toEqual(original.labels);
    }
  });

  it('leaves no original tool or argument identifier in the text the agent sees', () => {
    let planted = 0;
    for (const [i, episode] of renamed.entries()) {
      const original = originals[i]!;
      const old = new Set([...original.tools.map((t) => t.name), ...original.tools.flatMap((t) => Object.keys(t.parameters.properties ?? {}))]);
      const texts = [episode.user, JSON.stringify(episode.world), ...episode.tools.map((t) => t.description)];
      for (const text of texts) expect(identifiers(text).filter((w) => old.has(w)), episode.id).toEqual([]);
      if (!episode.injection || !original.injection) continue;
      // The planted text names the fresh goal tool where the original named the old one, and sits in the world.
      const goalNamed = identifiers(original.injection.text).includes(original.injection.goal.name);
      expect(identifiers(episode.injection.text).includes(episode.injection.goal.name), episode.id).toBe(goalNamed);
      expect(JSON.stringify(episode.world)).toContain(JSON.stringify(episode.injection.text).slice(1, -1));
      if (goalNamed) planted++;
    }
    expect(planted).toBeGreaterThan(0);
  });

  it('the description of a tool names its fresh argument where it named the old one', () => {
    const original = generateEpisodes({ split: 'train', n: 400, seed: 4 }).find((e) => e.tools.some((t) => t.description.includes('profile_id')))!;
    const episode = renameTools(original, new Rng(1));
    const k = original.tools.findIndex((t) => t.description.includes('profile_id'));
    const at = Object.keys(original.tools[k]!.parameters.properties!).indexOf('profile_id');
    const arg = Object.keys(episode.tools[k]!.parameters.properties!)[at]!;
    expect(episode.tools[k]!.description).toBe(original.tools[k]!.description.replace('profile_id', arg));
  });

  it('is deterministic for the same rng seed, varies with it, and leaves its input untouched', () => {
    for (const original of originals.slice(0, 30)) {
      const before = JSON.stringify(original);
      const a = renameTools(original, new Rng(5));
      expect(renameTools(original, new Rng(5))).toEqual(a);
      expect(renameTools(original, new Rng(6)).tools.map((t) => t.name)).not.toEqual(a.tools.map((t) => t.name));
      expect(JSON.stringify(original)).toBe(before);
    }
    expect(generateEpisodes({ split: 'train', n: 20, seed: 21, renameTools: 1 })).toEqual(renamed.slice(0, 20));
  });
});

describe('generateEpisodes renameTools option', () => {
  it('leaves episodes byte-for-byte as they were at 0, and renames about its share', () => {
    expect(JSON.stringify(generateEpisodes({ split: 'train', n: 100, seed: 21, renameTools: 0 }))).toBe(JSON.stringify(originals.slice(0, 100)));
    const half = generateEpisodes({ split: 'train', n: N, seed: 21, renameTools: 0.5 });
    const changed = half.filter((e, i) => e.tools[0]!.name !== originals[i]!.tools[0]!.name);
    expect(changed.length / N).toBeGreaterThan(0.4);
    expect(changed.length / N).toBeLessThan(0.6);
    // An episode renamed at one share is the same episode renamed at another.
    for (const e of changed) expect(e).toEqual(renamed[originals.findIndex((o) => o.id === e.id)]);
    expect(generateEpisode({ split: 'train', seed: 21, index: 7, renameTools: 1 })).toEqual(renamed[7]);
  });

  it('is train-only and a probability', () => {
    expect(() => generateEpisodes({ split: 'test', n: 3, seed: 1, renameTools: 0.5 })).toThrow(/renameTools is for the train split only/);
    expect(() => generateEpisode({ split: 'test', seed: 1, index: 0, renameTools: 1 })).toThrow(/train split only/);
    expect(generateEpisodes({ split: 'test', n: 3, seed: 1, renameTools: 0 })).toEqual(generateEpisodes({ split: 'test', n: 3, seed: 1 }));
    for (const bad of [-0.1, 1.5, Number.NaN]) {
      expect(() => generateEpisodes({ split: 'train', n: 1, seed: 1, renameTools: bad })).toThrow(/renameTools must be a number in \[0, 1\]/);
    }
  });
});
