import { describe, expect, it } from 'vitest';
import { DEFAULT_RUN_CONFIG, parseRunConfig } from '../../src/core/config';
import { DEFAULT_PAGE_OPTIONS, decodeUrlState, encodeUrlState } from '../../src/core/urlstate';

describe('URL state', () => {
  it('the default state is the empty query, and decodes back to the defaults', () => {
    expect(encodeUrlState({ config: DEFAULT_RUN_CONFIG, page: DEFAULT_PAGE_OPTIONS })).toBe('');
    expect(decodeUrlState('')).toEqual({ config: DEFAULT_RUN_CONFIG, page: DEFAULT_PAGE_OPTIONS });
  });

  it('round-trips a config with changed model, GRPO, mix, custom reward and page options', () => {
    const config = parseRunConfig({
      seed: 7,
      pYes: 0.25,
      reward: 'custom',
      customReward: 'function reward(i) { return { total: 1, components: { a: 1 } }; } // & = ?',
      model: { dModel: 16, nLayers: 1, nHeads: 2, contextLength: 384, positions: 'learned' },
      sft: { steps: 50 },
      grpo: { groupSize: 3, maxNewTokens: 24 },
      mix: { benignUser: 1, maliciousUser: 2, sensitiveUser: 0, benignTool: 0, maliciousTool: 1, sensitiveTool: 0 },
    });
    const page = { ...DEFAULT_PAGE_OPTIONS, backend: 'wasm' as const, tab: 'reward' as const, start: 'scratch' as const };
    const query = encodeUrlState({ config, page });
    expect(query).toContain('model.dModel=16');
    expect(query).toContain('grpo.groupSize=3');
    expect(query).toContain('sft.steps=50');
    expect(query).toContain('model.positions=learned');
    expect(query).not.toContain('grpo.updatesPerIteration');
    expect(decodeUrlState(`?${query}`)).toEqual({ config, page });
  });

  it('fills unset mix weights with 0', () => {
    expect(decodeUrlState('mix.maliciousTool=1').config.mix).toEqual({
      benignUser: 0, maliciousUser: 0, sensitiveUser: 0, benignTool: 0, maliciousTool: 1, sensitiveTool: 0,
    });
  });

  it('names what is wrong', () => {
    expect(() => decodeUrlState('grpo.nope=1')).toThrow('URL: unknown setting grpo.nope');
    expect(() => decodeUrlState('grpo=1')).toThrow('URL: unknown setting grpo');
    expect(() => decodeUrlState('seed=abc')).toThrow('URL: seed=abc is not a number');
    expect(() => decodeUrlState('backend=tpu')).toThrow('URL: backend=tpu is not one of auto, webgpu, wasm, webgl, cpu');
    expect(() => decodeUrlState('pYes=2')).toThrow(/URL: invalid config at pYes/);
    expect(() => decodeUrlState('model.positions=rope')).toThrow(/URL: invalid config at model.positions/);
    expect(() => decodeUrlState('sft.steps=-1')).toThrow(/URL: invalid config at sft.steps/);
    // Removed experiments (renameTools, sft.copySteps) are unknown settings, not silently ignored.
    expect(() => decodeUrlState('renameTools=0.5')).toThrow('URL: unknown setting renameTools');
    expect(() => decodeUrlState('sft.copySteps=50')).toThrow('URL: unknown setting sft.copySteps');
    expect(() => decodeUrlState('model.dModel=30&model.nHeads=4')).toThrow(/nHeads/);
    expect(() => decodeUrlState('reward=custom')).toThrow(/customReward/);
    expect(() => decodeUrlState('threads=-1')).toThrow('URL: threads=-1 must be a whole number >= 0 (0: one per core)');
    expect(() => decodeUrlState('threads=1.5')).toThrow(/threads=1.5 must be a whole number/);
    expect(() => decodeUrlState('preset=fast')).toThrow('URL: preset=fast is not one of demo');
  });

  it('threads is a page option: 1 measures single-threaded wasm, the default (0) uses every core', () => {
    expect(decodeUrlState('threads=1').page.threads).toBe(1);
    expect(DEFAULT_PAGE_OPTIONS.threads).toBe(0);
    expect(encodeUrlState(decodeUrlState('threads=1'))).toBe('threads=1');
  });

  it('preset=demo expands into its settings (settings in the link win), and re-encodes without the preset', () => {
    const demo = decodeUrlState('preset=demo&tab=compare');
    expect(demo.config.grpo).toMatchObject({ episodesPerIteration: 6, groupSize: 4, learningRate: 0.001, klCoef: 0.1, iterations: 200 });
    expect(demo.config.maxTurns).toBe(3);
    // Only requests, one class in three each: the mix keys the link leaves out weigh 0.
    expect(demo.config.mix).toEqual({ benignUser: 1, maliciousUser: 1, sensitiveUser: 1, benignTool: 0, maliciousTool: 0, sensitiveTool: 0 });
    expect(demo.page.tab).toBe('compare');
    expect(decodeUrlState('grpo.groupSize=2&preset=demo').config.grpo.groupSize).toBe(2);
    const query = encodeUrlState(demo);
    expect(query).not.toContain('preset');
    expect(decodeUrlState(query)).toEqual(demo);
  });

  it('bounds the custom reward time limit, so a link cannot turn the watchdog off', () => {
    expect(decodeUrlState('rewardTimeoutMs=500').page.rewardTimeoutMs).toBe(500);
    expect(() => decodeUrlState('rewardTimeoutMs=2147483647')).toThrow('URL: rewardTimeoutMs=2147483647 must be a whole number of ms from 10 to 60000');
    expect(() => decodeUrlState('rewardTimeoutMs=0')).toThrow(/from 10 to 60000/);
    expect(() => decodeUrlState('rewardTimeoutMs=1.5')).toThrow(/whole number/);
  });
});
