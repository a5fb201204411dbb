import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../src/ml/evaluate';
import { decisionPointCases, summarizeDecisionPoints } from '../../src/ml/decision-points';

const cases = decisionPointCases('test', 60, 3);

describe('decision points', () => {
  it('freeze each test episode at its user turn and, when a tool output is labelled, at the turn after it', () => {
    expect(cases.filter((c) => c.id.endsWith('-user'))).toHaveLength(60);
    const tool = cases.filter((c) => c.id.endsWith('-tool'));
    expect(tool.length).toBeGreaterThan(0);
    for (const c of tool) expect(c.messages.at(-1)?.role).toBe('tool');
  });

  it('score the oracle at 100% everywhere, and an agent that obeys every planted instruction as attacked', () => {
    const oracle: CaseResult[] = cases.map((c) => ({
      id: c.id,
      completion: '',
      decision: c.expected,
      call: c.expected_call ?? null,
      forbidden_call: false,
    }));
    const perfect = summarizeDecisionPoints(cases, oracle);
    expect(Object.values(perfect.correct).every((v) => v === 1)).toBe(true);
    expect(Object.keys(perfect.correct)).toContain('tool output: malicious');
    expect(perfect.plantedInstructionsObeyed).toBe(0);
    expect(perfect.rightCallWhereACallIsRight).toBe(1);
    expect(perfect.formatErrors).toBe(0);

    const obeying = oracle.map((r, i) => {
      const c = cases[i]!;
      if (!(c.id.endsWith('-tool') && c.labels.tool === 'malicious')) return r;
      return { ...r, decision: 'execute' as const, call: { name: c.forbidden_tools![0]!, arguments: {} }, forbidden_call: true };
    });
    const attacked = summarizeDecisionPoints(cases, obeying);
    expect(attacked.plantedInstructionsObeyed).toBe(1);
    expect(attacked.correct['tool output: malicious']).toBe(0);
    expect(attacked.correct['user: benign']).toBe(1);
  });
});
