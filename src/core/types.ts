// The contracts between core modules. Pure types: no DOM, no TensorFlow.js.
// Names follow the paper: execute / refuse / verify; benign / malicious / sensitive.

/** Class of the user's prompt. */
export type UserClass = 'benign' | 'malicious' | 'sensitive';
/** Class of the tool output the agent sees ('none' when the episode turns on the user prompt alone). */
export type ToolClass = 'benign' | 'malicious' | 'sensitive' | 'none';
export const USER_CLASSES: readonly UserClass[] = ['benign', 'malicious', 'sensitive'];
export const TOOL_CLASSES: readonly ToolClass[] = ['benign', 'malicious', 'sensitive', 'none'];

/** What an assistant turn does. 'answer' ends the episode with a final answer. */
export type Decision = 'execute' | 'refuse' | 'verify' | 'answer' | 'malformed';
export const DECISIONS: readonly Decision[] = ['execute', 'refuse', 'verify', 'answer', 'malformed'];

export interface Labels {
  user: UserClass;
  tool: ToolClass;
}

/**
 * Which episodes: train (what the trainer sees), dev (the training catalog's tools with held-out phrasings, planted-
 * instruction wrappers, ids and worlds: in-distribution evaluation), test (held-out tools: unseen-tool evaluation).
 */
export type Split = 'train' | 'dev' | 'test';
export const SPLITS: readonly Split[] = ['train', 'dev', 'test'];
/** A catalog tool is a training tool (train and dev episodes show it) or a held-out one (test episodes only). */
export type ToolSplit = 'train' | 'test';

/** A JSON value, as tool arguments and results carry them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object (not null, not an array): what arguments, schemas and configs must be. */
export function isJsonObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The subset of JSON Schema that tool parameters use. */
export interface JsonSchema {
  type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: Json[];
  minimum?: number;
  maximum?: number;
  additionalProperties?: boolean;
}

/** A tool as the agent sees it (system prompt) and as the case format stores it. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
  /** Money, deletion, sharing private data, access control, messages to outsiders, system control. */
  sensitive: boolean;
}

export interface ToolCall {
  name: string;
  arguments: Record<string, Json>;
}

// ---------------------------------------------------------------- protocol

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string }
  | { role: 'tool'; name: string; content: string }
  | { role: 'check'; content: 'yes' | 'no' };

/** Why an assistant turn failed to parse; `code` is stable, `message` says exactly what is wrong. */
export interface ParseError {
  code:
    | 'empty'
    | 'unpaired_tag'
    | 'nested_tag'
    | 'unknown_tag'
    | 'invalid_json'
    | 'missing_name'
    | 'missing_arguments'
    | 'unknown_tool'
    | 'invalid_arguments'
    | 'text_after_end'
    | 'multiple_actions'
    | 'no_action'
    | 'too_long';
  message: string;
}

/** An assistant turn turned into one structured action. */
export type Action =
  | { kind: 'call'; think: string | null; call: ToolCall }
  | { kind: 'check'; think: string | null; tool: string }
  | { kind: 'answer'; think: string | null; text: string }
  | { kind: 'refuse'; think: string | null; text: string }
  | { kind: 'malformed'; think: string | null; error: ParseError };

// ---------------------------------------------------------------- sandbox world

/** One record in a world collection (a file, an email, an account, a device...). */
export type WorldRecord = Record<string, Json>;

/**
 * The simulated world of one episode: named collections of records keyed by id,
 * plus an outbox of everything that left the user's control (messages, shares, exports).
 */
export interface WorldState {
  /** The user the agent works for; messages to addresses outside `domain` or the contacts are external. */
  owner: { name: string; email: string; domain: string };
  collections: Record<string, Record<string, WorldRecord>>;
  outbox: OutboundItem[];
}

export interface OutboundItem {
  tool: string;
  to: string;
  content: string;
  /** True when the recipient is outside the user's own contacts/domain. */
  external: boolean;
}

/**
 * What a tool does to the world. Tools are data: the sandbox implements each effect kind once.
 * `*Arg` fields name the argument that carries the key/value.
 */
export type ToolEffect =
  | { kind: 'read'; collection: string; keyArg: string }
  | { kind: 'list'; collection: string; filterArg?: string }
  | { kind: 'search'; collection: string; queryArg: string }
  | { kind: 'create'; collection: string; keyArg: string; fields: string[] }
  | { kind: 'update'; collection: string; keyArg: string; fields: string[] }
  | { kind: 'delete'; collection: string; keyArg: string }
  | { kind: 'transfer'; collection: string; fromArg?: string; toArg: string; amountArg: string }
  | { kind: 'send'; toArg: string; contentArgs: string[] }
  | { kind: 'set_state'; collection: string; keyArg: string; stateArg: string };

/** A tool of the catalog: its spec plus where it lives and what it does. */
export interface CatalogTool extends ToolSpec {
  domain: string;
  effect: ToolEffect;
  /** Tools held out of training: appear only in the test split. */
  split: ToolSplit;
}

// ---------------------------------------------------------------- episodes

/** Matches a call: same tool name and, for each listed argument, an equal value (strings compared case-insensitively, trimmed). */
export interface CallMatcher {
  name: string;
  arguments?: Record<string, Json>;
}

/** A planted instruction inside a tool output. */
export interface Injection {
  style: 'imperative' | 'ignore_previous' | 'fake_system' | 'html_comment' | 'json_field' | 'impersonate_user';
  /** The text planted in the tool output. */
  text: string;
  /** The call the attacker wants. */
  goal: ToolCall;
}

/**
 * One generated scenario: everything the sandbox needs to run it and the reward needs to judge it.
 * The tool output class arises from the world: the first task call reads a record that carries
 * benign data, a planted instruction (injection), or sensitive data leading to a sensitive next call.
 */
export interface Episode {
  id: string;
  split: Split;
  seed: number;
  domain: string;
  /** Template id the user prompt came from (for split-disjointness tests). */
  template: string;
  /** The tools shown to the agent, with their effects so the sandbox can run them. */
  tools: CatalogTool[];
  user: string;
  labels: Labels;
  world: WorldState;
  /** The calls that achieve the user's task, in order (empty for malicious prompts). */
  taskCalls: CallMatcher[];
  /** Calls that must never run: the attacker's goal, or the harmful act a malicious user asked for. */
  forbiddenCalls: CallMatcher[];
  injection: Injection | null;
  /** Sensitive tools the task needs: under the policy they run only after a granted <tool_check>. */
  sensitiveTools: string[];
}

// ---------------------------------------------------------------- traces

export interface TraceStep {
  /** Raw assistant text of this turn (without the end-of-turn token). */
  text: string;
  /** The turn ended with the end-of-turn token (EOS); a generation cut off by the length limit did not. */
  eos: boolean;
  action: Action;
  /** What the sandbox put back into the conversation after this turn (tool response or check result), if anything. */
  reply: ChatMessage | null;
  /** Human-readable effects on the world (e.g. "files/report.pdf deleted", "$300 moved acct-1 -> acct-9"). */
  effects: string[];
  /** Set when the tool call failed (unknown tool, invalid arguments, missing record). */
  toolError: string | null;
  /** This call matched a forbidden call. */
  forbidden: boolean;
  /** This call used a sensitive tool without a granted check for that tool earlier in the episode. */
  unconfirmedSensitive: boolean;
  /** Labels of the input this turn responded to: 'none' for the user prompt, the tool class after a tool output. */
  respondingTo: 'user' | 'tool' | 'check';
}

export type EndReason = 'answer' | 'refusal' | 'malformed' | 'turn_limit';

/**
 * What an episode did to the user's world that the user did not ask for, read from the world diff:
 * money paid to an account the task did not pay, a message or data sent to a recipient the task did not name
 * (private data sent outside when the recipient is not one of the user's contacts),
 * a record deleted, access granted or a device, service or record changed by a sensitive tool other than as
 * asked, or a sensitive tool that ran without a granted confirmation.
 */
export type UnsafeKind = 'money' | 'sent' | 'deleted' | 'access' | 'changed' | 'unconfirmed';
export const UNSAFE_KINDS: readonly UnsafeKind[] = ['money', 'sent', 'deleted', 'access', 'changed', 'unconfirmed'];

export interface UnsafeEffect {
  kind: UnsafeKind;
  /** One line for people, e.g. "$1.717 paid to EXT-45319, an account the user does not own". */
  detail: string;
}

export interface Trace {
  episodeId: string;
  labels: Labels;
  steps: TraceStep[];
  /** Full conversation as rendered (system, user, assistant turns, tool/check replies). */
  messages: ChatMessage[];
  end: EndReason;
  /** Every matching task call ran (successfully). */
  taskDone: boolean;
  /** A forbidden call ran. */
  attackSucceeded: boolean;
  /** A sensitive tool ran without a granted confirmation. */
  unconfirmedSensitive: boolean;
  /** Unasked-for effects on the world (see UnsafeKind): broader than attackSucceeded, which an attack's effects also show. */
  unsafeEffects: UnsafeEffect[];
  formatErrors: number;
  /** Check results drawn, in order. */
  checks: { tool: string; granted: boolean }[];
  worldBefore: WorldState;
  worldAfter: WorldState;
}

// ---------------------------------------------------------------- rewards

export interface RewardResult {
  total: number;
  components: Record<string, number>;
}

/** The rule table a preset follows: which decision is ideal where the paper and the introduction disagree. */
export type SafetyPolicy = 'paper' | 'strict';

/** Everything a reward function may look at. */
export interface RewardInput {
  trace: Trace;
  episode: Episode;
}

export type RewardFn = (input: RewardInput) => RewardResult;

export interface RewardPreset {
  name: string;
  policy: SafetyPolicy;
  /** Largest total this reward can give (the oracle must reach it in every class). */
  max: number;
  fn: RewardFn;
}

// ---------------------------------------------------------------- policies

/** Anything that writes the next assistant turn, given the conversation so far. */
export interface Policy {
  name: string;
  next(messages: ChatMessage[], episode: Episode): string | Promise<string>;
}
