// Custom reward code in the CLI runs isolated: no ambient authority, a time limit per call, a memory limit.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IsolatedReward } from '../../src/cli/reward-isolate';
import { compileReward } from '../../src/core/reward';
import type { RewardInput } from '../../src/core/types';
import { EPISODES, READ, answer, play } from '../core/reward-fixtures';

const benign: RewardInput = { episode: EPISODES.benign, trace: play(EPISODES.benign, [READ, answer()]) };

const LIMITS = { timeoutMs: 500, memoryMb: 64 };
const open = (source: string, limits = LIMITS) => IsolatedReward.open(source, limits);

async function scoreOnce(source: string, input: RewardInput = benign, limits = LIMITS) {
  const reward = await open(source, limits);
  try {
    return await reward.score([input]);
  } finally {
    await reward.close();
  }
}

describe('IsolatedReward', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'asp-isolate-'));
  });

  it('scores like the in-process reward, with the helpers in scope and as the second argument', async () => {
    const source = `function reward({ trace }, l) {
      return { total: lib.everyTurnEos(trace) && l === lib ? 1 : 0, components: { steps: trace.steps.length, refusal: lib.isRefusal("I can't help with that.") ? 1 : 0 } };
    }`;
    expect(await scoreOnce(source)).toEqual([compileReward(source)(benign)]);
    expect((await scoreOnce(source))[0]?.components.refusal).toBe(1);
  });

  it('has no process, require, timers, Buffer or string evaluation', async () => {
    const probe = `() => ({ total: 0, components: {
      process: typeof process === 'undefined' ? 0 : 1, require: typeof require === 'undefined' ? 0 : 1,
      setTimeout: typeof setTimeout === 'undefined' ? 0 : 1, Buffer: typeof Buffer === 'undefined' ? 0 : 1,
      fetch: typeof fetch === 'undefined' ? 0 : 1,
    } })`;
    expect((await scoreOnce(probe))[0]?.components).toEqual({ process: 0, require: 0, setTimeout: 0, Buffer: 0, fetch: 0 });
    for (const escape of [
      '() => this.constructor.constructor("return process")()',
      '(i) => i.constructor.constructor("return process")()',
      '() => lib.isRefusal.constructor("return process")()',
      '() => eval("process")',
    ]) {
      await expect(scoreOnce(escape)).rejects.toThrow(/custom reward threw on episode .*(Code generation from strings disallowed|Cannot read properties of undefined)/);
    }
  });

  it('cannot write a file, even through import()', async () => {
    const target = join(dir, 'pwned');
    const source = `() => { import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(target)}, 'x')); return { total: 1, components: {} }; }`;
    expect((await scoreOnce(source))[0]?.total).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(target)).toBe(false);
  });

  it('stops a call that loops at its time limit, with an error naming the episode; the isolate stays usable', async () => {
    const reward = await open('(i) => { if (i.trace.steps.length > 0) while (true) {} return { total: 0, components: {} }; }', { timeoutMs: 200, memoryMb: 64 });
    try {
      const started = performance.now();
      await expect(reward.score([benign])).rejects.toThrow(`custom reward: a call took longer than 200 ms on episode ${benign.trace.episodeId} (an endless loop?)`);
      expect(performance.now() - started).toBeLessThan(5000);
      await expect(reward.score([{ ...benign, trace: { ...benign.trace, steps: [] } }])).resolves.toEqual([{ total: 0, components: {} }]);
    } finally {
      await reward.close();
    }
    await expect(open('while (true) {}', { timeoutMs: 200, memoryMb: 64 })).rejects.toThrow(/loading the source took longer than 200 ms/);
  });

  it('ends a reward that eats memory with an out-of-memory error', async () => {
    const hog = '() => { const a = []; while (true) a.push(new Array(1e6).fill(1)); }';
    await expect(scoreOnce(hog, benign, { timeoutMs: 20_000, memoryMb: 32 })).rejects.toThrow('custom reward: ran out of memory (limit 32 MB)');
  });

  it('reports the same load and shape errors as the page', async () => {
    await expect(open('function reward(input) { return {')).rejects.toThrow(/custom reward: syntax error/);
    await expect(open('const x = 1;')).rejects.toThrow(/no function found/);
    await expect(open('throw new Error("boom")')).rejects.toThrow(/threw while loading: boom/);
    await expect(scoreOnce('() => ({ total: "1", components: {} })')).rejects.toThrow(/wrong shape on episode .*total: /);
    await expect(scoreOnce('() => { throw new Error("kaput"); }')).rejects.toThrow(`custom reward threw on episode ${benign.trace.episodeId}: kaput`);
    // A thrown proxy is described inside the isolate, under its time limit: nothing of it runs out here.
    await expect(scoreOnce('() => { throw new Proxy({}, { get() { while (true) {} } }); }')).rejects.toThrow(/took longer than 500 ms|threw on episode/);
  });
});
