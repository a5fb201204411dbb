// Tool specs from benchmark tool descriptions, and the project's rule for which tools are sensitive.
import { render } from '../policies';
import { EOS } from '../protocol';
import type { JsonSchema, ToolCall, ToolSpec } from '../types';

/**
 * The agent's earlier call in a benchmark conversation, written as the project's scripted policies write calls (short
 * think, no EOS: stored turns drop it). Benchmarks' own reasoning texts (InjecAgent's Thought: ~130 tokens) would
 * push the conversation past a small model's context; the planted text under test is in the tool output.
 */
export function priorCall(call: ToolCall, tools: readonly ToolSpec[]): string {
  const turn = render({ kind: 'call', call }, tools);
  return turn.endsWith(EOS) ? turn.slice(0, -EOS.length) : turn;
}

/**
 * Sensitive under this project's policy: moves money, deletes, shares or sends, changes access, or controls a
 * system. Benchmarks do not label this, so it is read from the action words of the tool's name.
 */
const SENSITIVE_WORDS = new Set([
  'send', 'transfer', 'pay', 'payment', 'money', 'withdraw', 'deposit', 'trade', 'buy', 'sell', 'purchase', 'order',
  'delete', 'remove', 'erase', 'destroy', 'share', 'grant', 'revoke', 'unlock', 'lock', 'invite', 'post', 'publish',
  'forward', 'execute', 'run', 'transaction', 'password', 'permission', 'access', 'disable', 'enable', 'reserve', 'book',
  'cancel', 'schedule', 'upload', 'tweet', 'reply', 'message', 'email', 'control', 'toggle', 'set',
]);

/** Words of an identifier: camelCase, snake_case and dotted names. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** `action` is the tool's own name without its toolkit prefix (the toolkit name says nothing about risk). */
export function isSensitiveName(action: string): boolean {
  const words = nameWords(action);
  // Reading, searching or listing messages/transactions is not itself sensitive.
  if (['get', 'read', 'search', 'list', 'view', 'retrieve', 'fetch', 'check', 'find', 'query', 'lookup'].includes(words[0] ?? '')) {
    return false;
  }
  return words.some((w) => SENSITIVE_WORDS.has(w));
}

/** ToolEmu / InjecAgent toolkit format. */
export interface ToolkitSpec {
  toolkit: string;
  name_for_model: string;
  tools: {
    name: string;
    summary: string;
    parameters: { name: string; type: string; description: string; required?: boolean }[];
  }[];
}

/** Every tool of the toolkits by its full name (toolkit + tool, as InjecAgent and ToolEmu call them). */
export function toolkitSpecs(toolkits: readonly ToolkitSpec[]): Map<string, ToolSpec> {
  const out = new Map<string, ToolSpec>();
  for (const kit of toolkits) {
    for (const tool of kit.tools) {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const p of tool.parameters) {
        // Parameter descriptions are left out: the system prompt shows names and types only, and they triple the size.
        properties[p.name] = { type: p.type as JsonSchema['type'] };
        if (p.required) required.push(p.name);
      }
      out.set(kit.name_for_model + tool.name, {
        name: kit.name_for_model + tool.name,
        description: tool.summary,
        parameters: { type: 'object', properties, required },
        sensitive: isSensitiveName(tool.name),
      });
    }
  }
  return out;
}

export function mustGet<K, V>(map: Map<K, V>, key: K, what: string): V {
  const v = map.get(key);
  if (v === undefined) throw new Error(`${what}: unknown ${String(key)}`);
  return v;
}
