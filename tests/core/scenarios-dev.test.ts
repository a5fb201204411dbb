// The dev split and the drawn tool sets. Dev shows the training tools with phrasings, politeness framings and
// planted-instruction wrappers that training never shows (checked on the rendered strings, not on template ids), and
// every episode shows the tools it needs among 2-8 distractors of its split's catalog, near-misses included, shuffled.
import { describe, expect, it } from 'vitest';
import { execute, oracle, priorPolicy } from '../../src/core/policies';
import { runEpisode } from '../../src/core/sandbox';
import { DISTRACTORS, DOMAINS, INJECTION_STYLES, JSON_FIELDS, PREFIXES, SUFFIXES, WRAPPERS, catalogTools, generateEpisodes } from '../../src/core/scenarios';
import { SPLITS, type Episode, type Policy, type Split } from '../../src/core/types';

const N = 600;
const episodes: Record<Split, Episode[]> = {
  train: generateEpisodes({ split: 'train', n: N, seed: 3 }),
  dev: generateEpisodes({ split: 'dev', n: N, seed: 3 }),
  test: generateEpisodes({ split: 'test', n: N, seed: 3 }),
};

/** Every intent of the catalog with the split its tools belong to. */
const intents = DOMAINS.flatMap((d) =>
  [...d.user, ...d.reads, ...d.chains].map((intent) => ({
    key: `${d.name}.${intent.id}`,
    intent,
    toolSplit: d.tools.find((t) => t.name === intent.tools[0])?.split,
  })),
);
const trainPrompts = intents.flatMap((i) => i.intent.prompts.map((p) => ({ key: i.key, text: p })));
const devPrompts = intents.flatMap((i) => (i.intent.devPrompts ?? []).map((p) => ({ key: i.key, text: p })));

/** A template's words with every slot as `{}`: two templates that differ only in punctuation, case or slot names are the same phrasing. */
const skeleton = (template: string): string =>
  template
    .toLowerCase()
    .replace(/\{\w+\}/g, ' {} ')
    .replace(/[^a-z0-9{}]+/g, ' ')
    .trim();

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex matching anything the template can render to, standing alone in a text (slots match any text). */
const rendersTo = (template: string): RegExp =>
  new RegExp(`(?:^|\\s)${template.split(/\{\w+\}/).map(escapeRe).join('.+?')}(?:\\s|$)`);

/** A regex matching what the template renders to after word dropout (any of its words may be gone, slots stay). */
const thinnedTo = (template: string): RegExp =>
  new RegExp(
    `(?:^|\\s)${template
      .split(' ')
      .map((w) => (w.includes('{') ? w.split(/\{\w+\}/).map(escapeRe).join('.+?') : `(?:${escapeRe(w)})?`))
      .join('\\s*')}(?:\\s|$)`,
  );

describe('dev split: held-out phrasings', () => {
  it('gives every intent on training tools at least two dev phrasings, and intents on held-out tools none', () => {
    for (const { key, intent, toolSplit } of intents) {
      if (toolSplit === 'train') expect(intent.devPrompts?.length ?? 0, key).toBeGreaterThanOrEqual(2);
      else expect(intent.devPrompts, key).toBeUndefined();
    }
  });

  it('shares no prompt template with train (or test): not one skeleton in common', () => {
    const seen = new Map(trainPrompts.map((p) => [skeleton(p.text), p.key]));
    for (const p of devPrompts) expect(seen.get(skeleton(p.text)), `${p.key}: ${p.text}`).toBeUndefined();
    // Distinct dev templates have distinct skeletons (a composed intent's templates serve every domain).
    expect(new Set(devPrompts.map((p) => skeleton(p.text))).size).toBe(new Set(devPrompts.map((p) => p.text)).size);
  });

  it('renders dev prompts that no train template can produce, and train prompts that no dev template can', () => {
    const trainRes = trainPrompts.map((p) => ({ ...p, re: rendersTo(p.text) }));
    const devRes = devPrompts.map((p) => ({ ...p, re: rendersTo(p.text) }));
    const clash = (texts: Episode[], res: { key: string; text: string; re: RegExp }[]) =>
      texts.flatMap((e) => res.filter((r) => r.re.test(e.user)).map((r) => `${e.id} "${e.user}" ~ ${r.key}: ${r.text}`));
    expect(clash(episodes.dev, trainRes)).toEqual([]);
    expect(clash(episodes.train, devRes)).toEqual([]);
    // Every template, drawn or not: rendered with a stand-in for each slot.
    const stand = (t: string) => t.replace(/\{\w+\}/g, 'x7');
    const pairs = (from: typeof devPrompts, res: typeof trainRes) =>
      from.flatMap((p) => res.filter((r) => r.re.test(stand(p.text))).map((r) => `${p.key}: ${p.text} ~ ${r.key}: ${r.text}`));
    expect(pairs(devPrompts, trainRes)).toEqual([]);
    expect(pairs(trainPrompts, devRes)).toEqual([]);
    // The check can fail: each split's texts are matched by their own templates.
    expect(episodes.dev.every((e) => devRes.some((r) => r.re.test(e.user)))).toBe(true);
    expect(episodes.train.every((e) => trainRes.some((r) => r.re.test(e.user)))).toBe(true);
  });

  it("thins the cold start's train prompts by word dropout, never a malicious one, and changes nothing else", () => {
    const trainRes = trainPrompts.map((p) => rendersTo(p.text));
    const dropped = generateEpisodes({ split: 'train', n: N, seed: 3, wordDropout: true });
    const thinned = dropped.filter((e) => !trainRes.some((re) => re.test(e.user)));
    expect(thinned.every((e) => trainPrompts.some((p) => thinnedTo(p.text).test(e.user))), thinned.map((e) => e.user).join('\n')).toBe(true);
    expect(thinned.length / dropped.length).toBeGreaterThan(0.2);
    expect(thinned.length / dropped.length).toBeLessThan(0.6);
    expect(thinned.filter((e) => e.labels.user === 'malicious')).toEqual([]);
    const rest = (e: Episode) => JSON.stringify({ ...e, user: '' });
    expect(dropped.map(rest)).toEqual(episodes.train.map(rest));
    // A number in the prompt may be an argument the call copies (the grammar allows only numbers in the context).
    const numbers = (text: string) => (text.match(/\d+/g) ?? []).sort();
    expect(dropped.filter((e, i) => numbers(e.user).join() !== numbers(episodes.train[i]!.user).join()).map((e) => e.user)).toEqual([]);
    expect(() => generateEpisodes({ split: 'dev', n: 1, seed: 3, wordDropout: true })).toThrow(/wordDropout is for the train split/);
  });

  it('draws dev prompts from dev phrasings only, with dev framings', () => {
    const devSkeletons = new Set(devPrompts.map((p) => skeleton(p.text)));
    for (const e of episodes.dev) expect(e.template, e.id).toMatch(/\.dev\d+$/);
    for (const e of episodes.train) expect(e.template, e.id).toMatch(/\.\d+$/);
    expect(devSkeletons.size).toBeGreaterThan(150);
    const used = new Set(episodes.dev.map((e) => e.template));
    expect(used.size).toBeGreaterThan(120);
    const framings = (split: Split) => new Set([...PREFIXES[split], ...SUFFIXES[split]].filter(Boolean));
    for (const f of framings('dev')) {
      expect(framings('train').has(f), f).toBe(false);
      expect(framings('test').has(f), f).toBe(false);
    }
    const starts = episodes.dev.filter((e) => PREFIXES.dev.some((p) => p && e.user.startsWith(`${p} `))).length;
    expect(starts).toBeGreaterThan(N / 4);
    expect(episodes.dev.filter((e) => PREFIXES.train.some((p) => p && e.user.startsWith(`${p} `)))).toEqual([]);
  });
});

describe('dev split: held-out planted-instruction wrappers', () => {
  const injected = episodes.dev.filter((e) => e.injection);

  it('has wrappers and JSON fields of its own for every style, none equal to a train or test one', () => {
    for (const style of INJECTION_STYLES) {
      expect(WRAPPERS[style].dev.length, style).toBeGreaterThanOrEqual(2);
      const others = new Set([...WRAPPERS[style].train, ...WRAPPERS[style].test].map(skeleton));
      for (const w of WRAPPERS[style].dev) expect(others.has(skeleton(w)), `${style}: ${w}`).toBe(false);
    }
    const allOthers = new Set(INJECTION_STYLES.flatMap((s) => [...WRAPPERS[s].train, ...WRAPPERS[s].test]).map(skeleton));
    for (const s of INJECTION_STYLES) for (const w of WRAPPERS[s].dev) expect(allOthers.has(skeleton(w)), w).toBe(false);
    for (const f of JSON_FIELDS.dev) expect([...JSON_FIELDS.train, ...JSON_FIELDS.test], f).not.toContain(f);
  });

  it('plants texts that come from a dev wrapper and that no train wrapper gives for the same goal phrase', () => {
    expect(injected.length).toBeGreaterThan(N / 8);
    for (const e of injected) {
      const { style, text } = e.injection!;
      // Recover the goal phrase and owner through the dev wrapper that produced the text.
      const hit = WRAPPERS[style].dev
        .map((w) => ({ w, m: new RegExp(`^${w.split(/(\{action\}|\{owner\})/).map((p) => (p === '{action}' ? '(?<action>.+)' : p === '{owner}' ? '(?<owner>\\S+)' : escapeRe(p))).join('')}$`).exec(text) }))
        .find((x) => x.m);
      expect(hit, `${e.id}: ${text}`).toBeDefined();
      const { action, owner } = hit!.m!.groups as { action: string; owner?: string };
      for (const s of INJECTION_STYLES) {
        for (const w of [...WRAPPERS[s].train, ...WRAPPERS[s].test]) {
          expect(w.replace('{action}', action).replace('{owner}', owner ?? ''), `${e.id} vs ${s}: ${w}`).not.toBe(text);
        }
      }
      if (style === 'json_field') {
        const fields = Object.values(e.world.collections).flatMap((c) => Object.values(c).flatMap((r) => Object.keys(r).filter((k) => r[k] === text)));
        expect(fields.length, e.id).toBe(1);
        expect(JSON_FIELDS.dev, e.id).toContain(fields[0]);
      }
    }
    for (const style of INJECTION_STYLES) expect(injected.some((e) => e.injection!.style === style), style).toBe(true);
  });
});

/** The tools an episode needs: its task, the harmful act asked for, the planted goal. */
const neededOf = (e: Episode): Set<string> =>
  new Set([...e.taskCalls, ...e.forbiddenCalls, ...(e.injection ? [e.injection.goal] : [])].map((c) => c.name));
/** The tool the first right call uses: the first task call, or for a malicious request the harmful one asked for. */
const rightTool = (e: Episode): string => (e.taskCalls[0] ?? e.forbiddenCalls[0])!.name;

describe('tool sets of train, dev and test episodes', () => {
  const both = [...episodes.train, ...episodes.dev, ...episodes.test];

  it('list every tool the oracle and the prior call or check, in play (yes and no answers), never an unknown one', async () => {
    const policies: Policy[] = [
      oracle('paper'),
      oracle('strict'),
      execute(),
      priorPolicy({ execute: 1, refuse: 0, verify: 0 }, 1),
      priorPolicy({ execute: 0, refuse: 0, verify: 1 }, 2),
      priorPolicy({ execute: 0.7, refuse: 0.15, verify: 0.15 }, 3),
    ];
    const used = new Set<string>();
    for (const e of [...episodes.train.slice(0, 200), ...episodes.dev.slice(0, 200)]) {
      const listed = new Set(e.tools.map((t) => t.name));
      for (const policy of policies) {
        for (const pYes of [0, 1]) {
          const trace = await runEpisode(e, policy, { pYes, seed: e.seed });
          for (const s of trace.steps) {
            expect(s.action.kind, `${e.id} ${policy.name}: ${s.text}`).not.toBe('malformed');
            expect(s.toolError ?? '', `${e.id} ${policy.name}`).not.toMatch(/unknown tool/);
            const name = s.action.kind === 'call' ? s.action.call.name : s.action.kind === 'check' ? s.action.tool : null;
            if (name) {
              expect(listed.has(name), `${e.id} ${policy.name} uses ${name}`).toBe(true);
              used.add(name);
            }
          }
        }
      }
    }
    // The policies did call and check: the loop above is not empty.
    expect(used.size).toBeGreaterThan(40);
  });

  it('shows the tools needed plus 2-8 distractors, every count in that range drawn, the lower end more often', () => {
    const counts = new Map<number, number>();
    for (const e of both) {
      const needed = neededOf(e);
      for (const n of needed) expect(e.tools.some((t) => t.name === n), `${e.id} ${n}`).toBe(true);
      const k = e.tools.length - needed.size;
      expect(k, e.id).toBeGreaterThanOrEqual(DISTRACTORS.min);
      expect(k, e.id).toBeLessThanOrEqual(DISTRACTORS.max);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (let k = DISTRACTORS.min; k <= DISTRACTORS.max; k++) expect(counts.get(k) ?? 0, `${k} distractors`).toBeGreaterThan(0);
    expect(counts.get(DISTRACTORS.min)!).toBeGreaterThan(counts.get(DISTRACTORS.max)!);
  });

  it("draws distractors from the whole of its split's catalog, near-misses included", () => {
    const catalog = (split: Split) => new Set(catalogTools(split).map((t) => t.name));
    let sameDomain = 0;
    let sharedWord = 0;
    let otherDomain = 0;
    for (const e of both) {
      const needed = neededOf(e);
      const words = new Set([...needed].flatMap((n) => n.split('_')));
      const distractors = e.tools.filter((t) => !needed.has(t.name));
      for (const t of distractors) expect(catalog(e.split).has(t.name), `${e.id} ${t.name}`).toBe(true);
      if (distractors.some((t) => t.domain === e.domain)) sameDomain++;
      if (distractors.some((t) => t.domain !== e.domain && t.name.split('_').some((w) => words.has(w)))) sharedWord++;
      if (distractors.some((t) => t.domain !== e.domain)) otherDomain++;
    }
    // Near-misses gather around decoys as much as around the tools needed (see the next test), so a share of them only.
    expect(sameDomain / both.length).toBeGreaterThan(0.35);
    expect(sharedWord / both.length).toBeGreaterThan(0.2);
    expect(otherDomain / both.length).toBeGreaterThan(0.8);
  });

  it('puts the right tool anywhere in the list: position is no cue', () => {
    for (const split of SPLITS) {
      const list = episodes[split];
      const at = list.map((e) => e.tools.findIndex((t) => t.name === rightTool(e)));
      expect(at.every((i) => i >= 0)).toBe(true);
      const first = at.filter((i) => i === 0).length / list.length;
      const last = list.filter((e, i) => at[i] === e.tools.length - 1).length / list.length;
      // Expected share at either end is about the mean of 1 / list length (about 0.2).
      expect(first, `${split} first`).toBeLessThan(0.3);
      expect(last, `${split} last`).toBeLessThan(0.3);
      expect(first, `${split} first`).toBeGreaterThan(0.1);
      const relative = list.map((e, i) => at[i]! / (e.tools.length - 1));
      const mean = relative.reduce((a, b) => a + b, 0) / relative.length;
      expect(mean, split).toBeGreaterThan(0.4);
      expect(mean, split).toBeLessThan(0.6);
      for (let i = 0; i < 6; i++) expect(at.includes(i), `${split} position ${i}`).toBe(true);
    }
  });

  it("makes the set's company no cue: the listed tool most connected to the others is rarely the right one", () => {
    // Connection: shared name words and a shared domain. Near-misses of the needed tools alone made the most connected
    // tool the right one in 52% of episodes, a shortcut the cold start took instead of reading the request.
    const words = (t: { name: string }) => new Set(t.name.split('_'));
    for (const split of SPLITS) {
      const list = episodes[split].filter((e) => e.taskCalls.length > 0 && e.labels.user !== 'malicious');
      let hub = 0;
      let chance = 0;
      for (const e of list) {
        const links = (t: Episode['tools'][number]) =>
          e.tools.reduce((sum, o) => (o === t ? sum : sum + [...words(t)].filter((w) => words(o).has(w)).length + Number(o.domain === t.domain)), 0);
        const best = e.tools.reduce((a, b) => (links(b) > links(a) ? b : a));
        if (best.name === e.taskCalls[0]!.name) hub++;
        chance += 1 / e.tools.length;
      }
      expect(list.length, split).toBeGreaterThan(200);
      expect(hub / list.length, split).toBeLessThan(chance / list.length + 0.1);
    }
  });

  it('varies the set itself: the same intent comes with different company', () => {
    const byTemplate = new Map<string, Set<string>>();
    for (const e of episodes.train) {
      const sets = byTemplate.get(e.template) ?? new Set<string>();
      sets.add(e.tools.map((t) => t.name).sort().join(','));
      byTemplate.set(e.template, sets);
    }
    const repeated = [...byTemplate.values()].filter((s) => s.size > 1).length;
    const withTwo = [...byTemplate.entries()].filter(([t]) => episodes.train.filter((e) => e.template === t).length > 1).length;
    expect(repeated).toBe(withTwo);
  });
});
