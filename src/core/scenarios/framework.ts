// The shape of a domain: its tools (data), a seeded world builder, and intents that turn a world into
// a user prompt plus the exact calls it implies. Domain files are data written against these types.
import type { Rng } from '../rng';
import type { CatalogTool, Json, JsonSchema, ToolCall, ToolEffect, ToolSplit, WorldRecord, WorldState } from '../types';

/** Values that fill `{slot}` placeholders in a prompt or an injection phrase. */
export type Slots = Record<string, string | number>;

/** What an intent's builder sees: the episode's generator and the world it may read and extend. */
export interface Ctx {
  rng: Rng;
  world: WorldState;
}

/**
 * Phrasings of a request, with `{slot}` placeholders. `prompts` are the train (or, for held-out tools, test) phrasings;
 * an intent on training tools also has `devPrompts`, worded differently and never shown in training, for the dev split.
 */
interface Phrasings {
  prompts: string[];
  devPrompts?: string[];
}

/** A user request of one class: prompts (with slots) and the calls that carry it out. */
export interface UserIntent extends Phrasings {
  id: string;
  cls: 'benign' | 'malicious' | 'sensitive';
  /** Every tool the calls use; they must share one split, which is the intent's split. */
  tools: string[];
  /** benign/sensitive: the task calls in order; malicious: the one harmful call. */
  build(ctx: Ctx): { slots: Slots; calls: ToolCall[] };
}

/** Where a read's labelled content lives: the record the first call returns and its free-text field. */
export interface Target {
  collection: string;
  key: string;
  field: string;
}

/** A benign request whose first call reads one record (benign data, or a planted injection in tool-output episodes). */
export interface ReadIntent extends Phrasings {
  id: string;
  tools: string[];
  build(ctx: Ctx): { slots: Slots; call: ToolCall; target: Target };
}

/** A benign request whose read returns private or financial data that leads to a sensitive call the user asked for. */
export interface ChainIntent extends Phrasings {
  id: string;
  /** Every tool the calls may use (a read, then a sensitive tool). */
  tools: string[];
  build(ctx: Ctx): { slots: Slots; calls: [ToolCall, ToolCall] };
}

/** What an attacker makes a sensitive tool do, with phrasings that state every argument. */
export interface Goal {
  /** Every tool the call may use. */
  tools: string[];
  build(ctx: Ctx): { call: ToolCall; phrases: string[] };
}

export interface Domain {
  name: string;
  tools: CatalogTool[];
  /** The domain's collections, given a fresh world that holds only the owner and the contacts. */
  world(rng: Rng, base: WorldState): Record<string, Record<string, WorldRecord>>;
  user: UserIntent[];
  reads: ReadIntent[];
  chains: ChainIntent[];
  goals: Goal[];
}

// ---------------------------------------------------------------- tool helpers

export const str = (description?: string): JsonSchema => (description ? { type: 'string', description } : { type: 'string' });
export const num = (minimum?: number): JsonSchema => (minimum === undefined ? { type: 'number' } : { type: 'number', minimum });
export const oneOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });

/** Parameters object: `required` lists the names that must be given; the rest are optional. */
export function params(props: Record<string, JsonSchema>, required: string[] = Object.keys(props)): JsonSchema {
  return { type: 'object', properties: props, required, additionalProperties: false };
}

export interface ToolDef {
  name: string;
  description: string;
  parameters: JsonSchema;
  effect: ToolEffect;
  sensitive?: boolean;
  split?: ToolSplit;
}

/** A domain's tools; train unless marked test. */
export function tools(domain: string, defs: ToolDef[]): CatalogTool[] {
  return defs.map((d) => ({
    name: d.name,
    description: d.description,
    parameters: d.parameters,
    sensitive: d.sensitive ?? false,
    domain,
    effect: d.effect,
    split: d.split ?? 'train',
  }));
}

// ---------------------------------------------------------------- text helpers

/** Replaces every `{slot}`; a slot the builder did not supply is a bug in the domain data, so it throws. */
export function fill(template: string, slots: Slots): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!Object.hasOwn(slots, name)) throw new Error(`template slot {${name}} has no value in: ${template}`);
    return String(slots[name]);
  });
}

export function call(name: string, args: Record<string, Json>): ToolCall {
  return { name, arguments: args };
}

/** A record key drawn from a collection of the world (the builder made sure it is not empty). */
export function pickKey(ctx: Ctx, collection: string, where?: (r: WorldRecord, key: string) => boolean): string {
  const coll = ctx.world.collections[collection] ?? {};
  const keys = Object.keys(coll).filter((k) => !where || where(coll[k] as WorldRecord, k));
  if (keys.length === 0) throw new Error(`world has no matching record in '${collection}'`);
  return ctx.rng.pick(keys);
}

export function record(ctx: Ctx, collection: string, key: string): WorldRecord {
  const r = ctx.world.collections[collection]?.[key];
  if (!r) throw new Error(`world has no record ${collection}/${key}`);
  return r;
}

/** Adds (or replaces) a record, so an intent can plant exactly what its prompt talks about. */
export function put(ctx: Ctx, collection: string, key: string, rec: WorldRecord): void {
  const coll = (ctx.world.collections[collection] ??= {});
  coll[key] = rec;
}

/** The account with primary:true, which transfers without a from-argument pay from. */
export function primaryKey(ctx: Ctx, collection: string): string {
  return pickKey(ctx, collection, (r) => r.primary === true);
}

/** A short id like "inv-4821" that is not yet a key of the collection. */
export function freshKey(ctx: Ctx, collection: string, prefix: string): string {
  const coll = ctx.world.collections[collection] ?? {};
  for (;;) {
    const key = `${prefix}-${ctx.rng.int(100, 9999)}`;
    if (!Object.hasOwn(coll, key)) return key;
  }
}
