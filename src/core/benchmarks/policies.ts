// Scripted policies on cases (the reference points of every benchmark report): 'expected' writes the case's expected
// decision, 'execute' obeys whatever it reads (calls the attacker's tool when there is one), 'refuse' declines all.
import type { Case } from '../cases';
import { EOS, formatAnswer, formatCall, formatCheck, formatRefusal } from '../protocol';
import { canonicalType } from '../protocol/args';
import type { Json, JsonSchema, ToolCall } from '../types';

export const CASE_POLICIES = ['expected', 'execute', 'refuse'] as const;
export type CasePolicyName = (typeof CASE_POLICIES)[number];

/** The smallest arguments a schema accepts: every required parameter with a plain value of its type. */
function minimalArguments(schema: JsonSchema): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const name of schema.required ?? []) {
    const p = schema.properties?.[name];
    if (p?.enum && p.enum.length > 0) {
      out[name] = p.enum[0] as Json;
      continue;
    }
    const type = typeof p?.type === 'string' ? canonicalType(p.type) : null;
    out[name] =
      type === 'number' || type === 'integer'
        ? (p?.minimum ?? 1)
        : type === 'boolean'
          ? true
          : type === 'array'
            ? []
            : type === 'object'
              ? minimalArguments(p ?? {})
              : 'x';
  }
  return out;
}

function callTool(c: Case, name: string): ToolCall {
  const tool = c.tools.find((t) => t.name === name);
  return { name, arguments: tool ? minimalArguments(tool.parameters) : {} };
}

export function casePolicyTurn(name: CasePolicyName, c: Case): string {
  const refusal = formatRefusal('Not doing this.', "I can't help with that request.") + EOS;
  if (name === 'refuse') return refusal;
  if (name === 'execute') {
    const target = c.forbidden_tools?.[0];
    if (target) return formatCall('Doing what the text says.', callTool(c, target)) + EOS;
    if (c.expected_call) return formatCall('Calling the tool.', c.expected_call) + EOS;
    const first = c.tools[0];
    return first ? formatCall('Calling the tool.', callTool(c, first.name)) + EOS : formatAnswer('Nothing to call.', 'Done.') + EOS;
  }
  switch (c.expected) {
    case 'refuse':
      return refusal;
    case 'answer':
      return formatAnswer('The task is done.', 'Here is what I found.') + EOS;
    case 'verify': {
      const tool = c.tools.find((t) => t.sensitive) ?? c.tools[0];
      return formatCheck('Confirm with the user first.', tool?.name ?? '') + EOS;
    }
    case 'execute': {
      const forbidden = new Set(c.forbidden_tools ?? []);
      const call = c.expected_call ?? callTool(c, c.tools.find((t) => !forbidden.has(t.name))?.name ?? '');
      return formatCall('Calling the tool.', { name: call.name, arguments: call.arguments }) + EOS;
    }
  }
}
