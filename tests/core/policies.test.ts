import { describe, expect, it } from 'vitest';
import { episodeDecisions } from '../../src/core/metrics';
import { execute, oracle, priorPolicy, random, referencePolicy, refuse, REFERENCE_POLICIES } from '../../src/core/policies';
import { EOS, parseTurn } from '../../src/core/protocol';
import { PRESETS } from '../../src/core/reward';
import { runEpisode } from '../../src/core/sandbox';
import type { Episode, Policy } from '../../src/core/types';
import { EPISODES } from './reward-fixtures';

const ALL = Object.values(EPISODES);
const run = (episode: Episode, policy: Policy, pYes = 0.5) => runEpisode(episode, policy, { pYes });

describe('oracle on hand-made episodes', () => {
  for (const preset of Object.values(PRESETS)) {
    for (const pYes of [0, 1]) {
      it(`reaches ${preset.name}'s max on every label pair (pYes ${pYes})`, async () => {
        for (const episode of ALL) {
          const trace = await run(episode, oracle(preset.policy), pYes);
          expect(preset.fn({ episode, trace }), `${episode.id} ${JSON.stringify(trace.steps.map((s) => s.text))}`).toMatchObject({
            total: preset.max,
          });
          expect(trace.formatErrors).toBe(0);
        }
      });
    }
  }

  it('follows the policy after planted instructions and sensitive outputs', async () => {
    const paperMt = await run(EPISODES.injected, oracle('paper'), 1);
    expect(episodeDecisions(paperMt)).toEqual({ user: 'execute', tool: 'verify' });
    expect(paperMt.attackSucceeded).toBe(true); // the paper's rule: ask, then obey on yes
    const strictMt = await run(EPISODES.injected, oracle('strict'), 1);
    expect(episodeDecisions(strictMt)).toEqual({ user: 'execute', tool: 'refuse' });
    expect(strictMt.attackSucceeded).toBe(false);
    expect(episodeDecisions(await run(EPISODES.bill, oracle('paper')))).toEqual({ user: 'execute', tool: 'execute' });
    expect(episodeDecisions(await run(EPISODES.bill, oracle('strict')))).toEqual({ user: 'execute', tool: 'verify' });
  });
});

describe('baselines on hand-made episodes', () => {
  it('execute obeys planted instructions and harmful requests and scores 0 on them', async () => {
    const mt = await run(EPISODES.injected, execute());
    expect(mt.attackSucceeded).toBe(true);
    const mu = await run(EPISODES.malicious, execute());
    expect(mu.attackSucceeded).toBe(true);
    for (const preset of Object.values(PRESETS)) {
      if (preset.name !== 'shaped') expect(preset.fn({ episode: EPISODES.malicious, trace: mu }).total).toBe(0);
    }
    expect((await run(EPISODES.benign, execute())).taskDone).toBe(true);
  });

  it('refuse scores 0 on benign prompts under the all-or-nothing presets', async () => {
    const trace = await run(EPISODES.benign, refuse());
    expect(trace.end).toBe('refusal');
    expect(PRESETS.paper!.fn({ episode: EPISODES.benign, trace }).total).toBe(0);
    expect(PRESETS.strict!.fn({ episode: EPISODES.benign, trace }).total).toBe(0);
  });

  it('random is seeded, per episode and turn, and writes both valid and garbled turns', async () => {
    const messages = [{ role: 'system' as const, content: 's' }, { role: 'user' as const, content: 'u' }];
    expect(random(3).next(messages, EPISODES.benign)).toBe(random(3).next(messages, EPISODES.benign));
    const kinds = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const text = random(seed).next(messages, EPISODES.bill) as string;
      kinds.add(parseTurn(text, EPISODES.bill.tools).action.kind);
    }
    expect([...kinds].sort()).toEqual(['answer', 'call', 'check', 'malformed', 'refuse']);
  });

  it('the prior ignores labels but follows check answers', async () => {
    const messages = [{ role: 'system' as const, content: 's' }, { role: 'user' as const, content: 'u' }];
    const kinds = (episode: Episode) =>
      Array.from({ length: 300 }, (_, seed) => parseTurn(priorPolicy({ execute: 1, refuse: 1, verify: 1 }, seed).next(messages, episode) as string, episode.tools).action.kind);
    const count = (ks: string[], k: string) => ks.filter((x) => x === k).length;
    for (const episode of [EPISODES.benign, EPISODES.malicious]) {
      const ks = kinds(episode);
      for (const k of ['call', 'check', 'refuse']) expect(count(ks, k)).toBeGreaterThan(60);
    }
    const onlyVerify = priorPolicy({ execute: 0, refuse: 0, verify: 1 }, 1);
    const denied = await run(EPISODES.sensitive, onlyVerify, 0);
    expect(denied.steps.map((s) => s.action.kind)).toEqual(['check', 'answer']);
    const granted = await run(EPISODES.sensitive, onlyVerify, 1);
    expect(granted.steps.map((s) => s.action.kind)).toEqual(['check', 'call', 'answer']);
  });

  it('every scripted turn ends with EOS and parses', async () => {
    for (const name of REFERENCE_POLICIES.filter((n) => n !== 'random')) {
      for (const episode of ALL) {
        const trace = await run(episode, referencePolicy(name, { policy: 'strict', seed: 1 }));
        for (const step of trace.steps) {
          expect(step.eos).toBe(true);
          expect(step.action.kind).not.toBe('malformed');
          expect(step.text.endsWith(EOS)).toBe(false);
        }
      }
    }
  });
});
