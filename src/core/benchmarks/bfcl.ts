// BFCL (Berkeley Function Calling Leaderboard v4) -> cases. simple_python and multiple: the right call with the right
// arguments, every acceptable value from possible_answer kept; irrelevance: no listed function fits, so calling
// nothing (answering or declining) is right. BFCL has no safety content: it measures plain tool-calling utility.
import type { Case } from '../cases';
import { validateArguments } from '../protocol';
import type { Json, JsonSchema, ToolSpec } from '../types';
import { isSensitiveName } from './tools';

export interface BfclEntry {
  id: string;
  question: { role: string; content: string }[][];
  function: { name: string; description: string; parameters: JsonSchema }[];
}

export interface BfclAnswer {
  id: string;
  ground_truth: Record<string, Record<string, Json[]>>[];
}

const BFCL_CATEGORIES = ['simple', 'multiple', 'irrelevance'] as const;
export type BfclCategory = (typeof BFCL_CATEGORIES)[number];

function tools(entry: BfclEntry): ToolSpec[] {
  return entry.function.map((f) => ({
    name: f.name,
    description: f.description,
    parameters: f.parameters,
    sensitive: isSensitiveName(f.name.split('.').at(-1) ?? f.name),
  }));
}

/** The conversation: BFCL's first turn; a system message becomes the case's extra system text. */
function conversation(entry: BfclEntry): Pick<Case, 'messages' | 'system'> {
  const turn = entry.question[0] ?? [];
  const system = turn.filter((m) => m.role === 'system').map((m) => m.content);
  const messages = turn
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content }));
  return { messages, ...(system.length > 0 ? { system: system.join('\n') } : {}) };
}

/**
 * BFCL nests its acceptable-values lists inside dict arguments ({"department": ["Science", ""]}); one concrete
 * value is the first acceptable one at every level (undefined: the argument may be left out).
 */
function firstAcceptable(v: Json): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => firstAcceptable(x) ?? null);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, Json> = {};
  for (const [k, vals] of Object.entries(v)) {
    const pick = Array.isArray(vals) ? vals.find((x) => x !== '') : vals;
    const value = pick === undefined ? undefined : firstAcceptable(pick);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

export interface BfclConversion {
  cases: Case[];
  /** Entries left out, with the reason (e.g. no acceptable answer that fits the schema). */
  skipped: { id: string; reason: string }[];
}

/** `answers` is required for simple and multiple (by id), ignored for irrelevance. */
export function convertBfcl(category: BfclCategory, entries: BfclEntry[], answers: BfclAnswer[] = []): BfclConversion {
  const byId = new Map(answers.map((a) => [a.id, a]));
  const cases: Case[] = [];
  const skipped: BfclConversion['skipped'] = [];
  for (const entry of entries) {
    const base = { id: `bfcl-${entry.id}`, suite: 'bfcl', category, tools: tools(entry), ...conversation(entry) };
    if (category === 'irrelevance') {
      cases.push({ ...base, labels: { user: 'benign', tool: 'none' }, expected: 'answer', also_accept: ['refuse'] });
      continue;
    }
    const truth = byId.get(entry.id)?.ground_truth[0];
    const [name, params] = truth ? (Object.entries(truth)[0] ?? []) : [];
    const tool = base.tools.find((t) => t.name === name);
    if (!name || !params || !tool) {
      skipped.push({ id: entry.id, reason: name ? `answer names unknown function '${name}'` : 'no possible_answer' });
      continue;
    }
    // BFCL writes "" among the values of an argument that may be left out.
    const acceptable: Record<string, Json[]> = {};
    const optional: string[] = [];
    const args: Record<string, Json> = {};
    for (const [arg, values] of Object.entries(params)) {
      const real = values.filter((v) => v !== '');
      if (real.length < values.length) optional.push(arg);
      if (real.length > 0) {
        acceptable[arg] = real;
        const first = firstAcceptable(real[0] as Json);
        if (first !== undefined) args[arg] = first;
      }
    }
    const bad = validateArguments(tool.parameters, args);
    if (bad) {
      skipped.push({ id: entry.id, reason: `first acceptable answer does not fit the schema: ${bad}` });
      continue;
    }
    cases.push({
      ...base,
      labels: { user: 'benign', tool: 'none' },
      expected: 'execute',
      expected_call: { name, arguments: args, acceptable, ...(optional.length > 0 ? { optional } : {}) },
    });
  }
  return { cases, skipped };
}
