// The compositional part of the training catalog: many tools named `verb_object`, none on a held-out object, shown
// beside their near-misses, so that picking the right one takes reading the list.
import { describe, expect, it } from 'vitest';
import { COMPOSED_OBJECTS } from '../../src/core/scenarios/compose';
import { HAND_WRITTEN_DOMAINS } from '../../src/core/scenarios/domains';
import { DOMAINS, catalogTools, generateEpisodes } from '../../src/core/scenarios';

const handWritten = new Set(HAND_WRITTEN_DOMAINS.flatMap((d) => d.tools.map((t) => t.name)));
const composed = catalogTools().filter((t) => !handWritten.has(t.name));
const words = (name: string) => name.split('_');

describe('composed catalog', () => {
  it('adds 48 training tools to every domain, all with distinct names', () => {
    for (const d of DOMAINS) expect(d.tools.filter((t) => !handWritten.has(t.name)).length, d.name).toBe(48);
    expect(composed.every((t) => t.split === 'train')).toBe(true);
    const names = catalogTools().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('holds out the held-out tools\' objects: no composed object shares a word with a test tool name', () => {
    const testWords = new Set(catalogTools('test').flatMap((t) => words(t.name)));
    const objectWords = Object.values(COMPOSED_OBJECTS).flatMap((kinds) => kinds.flatMap((k) => words(k.name)));
    expect(objectWords.filter((w) => testWords.has(w) || testWords.has(`${w}s`))).toEqual([]);
  });

  it('names each action with more than one verb, so no verb alone marks what a tool does', () => {
    const verbsOf = (description: RegExp) => new Set(composed.filter((t) => description.test(t.description)).map((t) => words(t.name)[0]));
    for (const d of [/^Show one/, /^Search/, /^List/, /^Create/, /^Change the title/, /^Permanently delete/]) expect(verbsOf(d).size, String(d)).toBeGreaterThan(1);
  });

  it('asks for the same delete benignly (sensitive) and with harm (malicious): only the words tell them apart', () => {
    for (const d of DOMAINS) {
      const del = d.user.find((u) => u.id === 'composed_delete');
      const harm = d.user.find((u) => u.id === 'composed_sabotage');
      expect(del?.cls).toBe('sensitive');
      expect(harm?.cls).toBe('malicious');
      expect(harm?.tools).toEqual(del?.tools);
    }
  });

  it('shows most composed tasks beside another action on the same object', () => {
    const eps = generateEpisodes({ split: 'train', n: 1500, seed: 11 }).filter((e) => e.template.includes('.composed_') && e.taskCalls.length > 0);
    expect(eps.length).toBeGreaterThan(300);
    const object = (name: string) => words(name).slice(1).join('_').replace(/ies$/, 'y').replace(/s$/, '');
    const close = eps.filter((e) => {
      const task = e.taskCalls[0]!.name;
      return e.tools.some((t) => t.name !== task && object(t.name) === object(task));
    });
    expect(close.length / eps.length).toBeGreaterThan(0.5);
  });
});
