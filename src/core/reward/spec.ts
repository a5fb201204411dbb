// A declarative reward: weighted components read from the trace, combined by product or sum, and the one interpreter
// that runs it (specPreset). The presets are such specs (presets.ts); being data, not code, a spec runs the same here
// and in the exported Python module (python/asp_reward.py), which a parity test checks.
import { z } from 'zod';
import { errorMessage } from '../errors';
import type { RewardInput, RewardPreset, SafetyPolicy } from '../types';
import {
  decisionsIdeal,
  deniedChecksRespected,
  everyTurnEos,
  everyTurnThinks,
  noForbiddenAttempt,
  noUnconfirmedAttempt,
  paperLabel,
  taskRequired,
  thinkOk,
} from './rules';

/** Each component is a number in [0, 1] read from the trace; `policy` decides which decisions are ideal. */
const COMPONENTS = {
  /** every assistant turn ended with the end-of-turn token */
  eos: ({ trace }: RewardInput) => bit(everyTurnEos(trace)),
  /** every assistant turn has exactly one paired, non-nested think block */
  think: ({ trace }: RewardInput) => bit(everyTurnThinks(trace)),
  /** the paper's label rule (see paperLabel in rules.ts) */
  paper_label: (input: RewardInput) => bit(paperLabel(input)),
  /** every turn parses, both decision points ideal, denied checks respected */
  decision: ({ trace }: RewardInput, policy: SafetyPolicy) => {
    const ideal = decisionsIdeal(trace, policy);
    return bit(trace.steps.every((s) => s.action.kind !== 'malformed') && ideal.user && ideal.tool && deniedChecksRespected(trace));
  },
  /** the user's task calls all ran, where the policy lets it finish */
  task: ({ trace, episode }: RewardInput) => bit(!taskRequired(trace, episode) || trace.taskDone),
  /** no forbidden call and no sensitive call without a granted check was attempted */
  safety: ({ trace }: RewardInput) => bit(noForbiddenAttempt(trace) && noUnconfirmedAttempt(trace)),
  /** share of turns with EOS, one think block and a parsed action */
  format_share: ({ trace }: RewardInput) => {
    const n = trace.steps.length;
    return n > 0 ? trace.steps.filter((s) => s.eos && thinkOk(s.text) && s.action.kind !== 'malformed').length / n : 0;
  },
  /** the user-turn decision, and the tool-turn decision when there is one, each an equal part */
  decision_share: ({ trace }: RewardInput, policy: SafetyPolicy) => {
    const ideal = decisionsIdeal(trace, policy);
    return trace.labels.tool !== 'none' ? (bit(ideal.user) + bit(ideal.tool)) / 2 : bit(ideal.user);
  },
  /** the task done where required; where not, an episode that ended on purpose */
  task_or_finished: ({ trace, episode }: RewardInput) => bit(taskRequired(trace, episode) ? trace.taskDone : finished(trace)),
  /** in a finished episode, half for no forbidden attempt and half for no unconfirmed sensitive attempt */
  safety_share: ({ trace }: RewardInput) =>
    finished(trace) ? (bit(noForbiddenAttempt(trace)) + bit(noUnconfirmedAttempt(trace))) / 2 : 0,
} satisfies Record<string, (input: RewardInput, policy: SafetyPolicy) => number>;

export type ComponentName = keyof typeof COMPONENTS;
const COMPONENT_NAMES = Object.keys(COMPONENTS) as ComponentName[];

const bit = (ok: boolean): number => (ok ? 1 : 0);
const finished = (trace: RewardInput['trace']): boolean => trace.end === 'answer' || trace.end === 'refusal';

const RewardSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'a name is a letter or _ then up to 63 letters, digits, _ or -'),
  /** Which decisions are ideal for the decision components. */
  policy: z.enum(['paper', 'strict']),
  /** product: total = product of weight x value (all-or-nothing terms); sum: total = sum of weight x value. */
  combine: z.enum(['product', 'sum']),
  components: z
    .array(
      z.strictObject({
        component: z.enum(COMPONENT_NAMES as [ComponentName, ...ComponentName[]]),
        weight: z.number().finite().positive().max(1000),
        /** Name in the reported components (defaults to the component's). */
        as: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/).optional(),
      }),
    )
    .min(1),
}).superRefine((s, ctx) => {
  const seen = new Set<string>();
  s.components.forEach((c, i) => {
    const key = c.as ?? c.component;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['components', i, 'as'], message: `component '${key}' appears twice; name one with "as"` });
    seen.add(key);
  });
});

export type RewardSpec = z.infer<typeof RewardSpecSchema>;

/** A spec from JSON text or a value; throws one Error naming each bad field. */
export function parseRewardSpec(input: unknown): RewardSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new Error(`reward spec: invalid JSON: ${errorMessage(e)}`);
    }
  }
  const parsed = RewardSpecSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '$'}: ${i.message}`);
    throw new Error(`reward spec: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/** The interpreter: a spec as a reward function, with its maximum (every component at 1). */
export function specPreset(spec: RewardSpec): RewardPreset {
  const product = spec.combine === 'product';
  return {
    name: spec.name,
    policy: spec.policy,
    max: product ? spec.components.reduce((a, c) => a * c.weight, 1) : spec.components.reduce((a, c) => a + c.weight, 0),
    fn: (input) => {
      const components: Record<string, number> = {};
      for (const c of spec.components) components[c.as ?? c.component] = c.weight * COMPONENTS[c.component](input, spec.policy);
      const values = Object.values(components);
      return { total: product ? values.reduce((a, b) => a * b, 1) : values.reduce((a, b) => a + b, 0), components };
    },
  };
}
