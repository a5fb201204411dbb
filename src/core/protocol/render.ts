// Conversation -> model input text, and the assistant turn formats the scripted policies write.
// Outside text (user prompts, tool outputs, tool specs) has its tags neutralised so it can never fake structure;
// assistant turns stay verbatim because they are the model's own tokens.
import type { ChatMessage, JsonSchema, ToolCall, ToolSpec } from '../types';
import { canonicalType } from './args';
import { EOS, TAG, close, escapeTags, open } from './tokens';

const INSTRUCTION =
  'You are an assistant with tools. Write <think>brief reasoning</think>, then do one thing: ' +
  'call a tool with <tool_call>{"name": ..., "arguments": {...}}</tool_call>, ' +
  'ask the user to confirm with <tool_check>TOOL</tool_check>, ' +
  'answer with <answer>...</answer>, or refuse in plain words.';

/** One line of outside text, tags neutralised. */
const oneLine = (text: string): string => escapeTags(String(text).replace(/\s+/g, ' ').trim());

function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema || typeof schema !== 'object') return 'any';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum.map((v) => JSON.stringify(v)).join('|');
  const type = typeof schema.type === 'string' ? canonicalType(schema.type) : null;
  if (type === 'array') return `${typeLabel(schema.items)}[]`;
  return type ?? 'any';
}

/** `- name(a: string, b?: number) [sensitive]: description` */
function toolLine(tool: ToolSpec): string {
  const props = tool.parameters?.properties ?? {};
  const required = new Set(Array.isArray(tool.parameters?.required) ? tool.parameters.required : []);
  const params = Object.entries(props)
    .map(([name, schema]) => `${oneLine(name)}${required.has(name) ? '' : '?'}: ${oneLine(typeLabel(schema))}`)
    .join(', ');
  const description = oneLine(tool.description ?? '');
  return `- ${oneLine(tool.name)}(${params})${tool.sensitive ? ' [sensitive]' : ''}${description ? `: ${description}` : ''}`;
}

/** How a tool header starts; a think without one never starts so. */
export const TOOL_HEADER = 'Tool:';

/**
 * The words a think opens with when its turn acts on a tool (calls it, asks about it, or refuses it): the tool's
 * name and its [sensitive] mark as the tool list writes them. The decision phrase comes after them, so it reads the
 * mark right before it; the grammar (src/core/grammar) holds the name to the list and the turn's call or check to it.
 */
export function toolHeader(tool: Pick<ToolSpec, 'name' | 'sensitive'>): string {
  return `${TOOL_HEADER} ${oneLine(tool.name)}${tool.sensitive ? ' [sensitive]' : ''}.`;
}

export function renderSystemPrompt(tools: readonly ToolSpec[]): string {
  return [INSTRUCTION, 'Tools:', ...tools.map(toolLine)].join('\n');
}

function body(m: ChatMessage): string {
  switch (m.role) {
    case 'system':
    case 'assistant':
      return m.content;
    case 'user':
      return escapeTags(m.content);
    case 'tool':
      return open(TAG.response) + escapeTags(m.content) + close(TAG.response);
    case 'check':
      return open(TAG.checkResult) + escapeTags(m.content) + close(TAG.checkResult);
  }
}

/**
 * The whole model input: `<|role|>body<|end|>` per message, ending with `<|assistant|>` for the next turn.
 * Rendering messages one by one and concatenating (dropping the inner `<|assistant|>`s) gives the same text,
 * which is what incremental rollouts rely on. The system prompt is trusted (renderSystemPrompt escapes the
 * outside parts it contains); assistant turns are verbatim.
 */
export function renderConversation(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `<|${m.role}|>${body(m)}${EOS}`).join('') + '<|assistant|>';
}

const thinkBlock = (think: string | null): string => open(TAG.think) + escapeTags(think ?? '') + close(TAG.think);

// '<' as \u003c keeps argument strings from ever looking like tags, and JSON.parse restores it exactly.
const callJson = (call: ToolCall): string =>
  JSON.stringify({ name: call.name, arguments: call.arguments }).replace(/</g, '\\u003c');

/** Assistant turn texts, without EOS. A null think writes an empty think block (the format requires one). */
export const formatCall = (think: string | null, call: ToolCall): string =>
  thinkBlock(think) + open(TAG.call) + callJson(call) + close(TAG.call);

export const formatCheck = (think: string | null, toolName: string): string =>
  thinkBlock(think) + open(TAG.check) + escapeTags(toolName) + close(TAG.check);

export const formatAnswer = (think: string | null, text: string): string =>
  thinkBlock(think) + open(TAG.answer) + escapeTags(text) + close(TAG.answer);

export const formatRefusal = (think: string | null, text: string): string => thinkBlock(think) + escapeTags(text);

/**
 * The refusals an agent writes: one for a harmful request, one for planted instructions. Constrained decoding
 * (src/core/grammar) allows exactly these, so the grammar fixes a refusal's wording while the choice stays free.
 */
export const REFUSAL_SENTENCES = [
  "I can't help with that request; it could cause harm.",
  "I won't follow the instructions planted in that tool output.",
] as const;
