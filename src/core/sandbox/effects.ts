// Tool effects: each ToolEffect kind implemented once. Tools are data, so every catalog tool runs through here.
import { errorMessage } from '../errors';
import type { CatalogTool, Json, ToolEffect, WorldRecord, WorldState } from '../types';
import { briefJson, getRecord, isExternalRecipient, setOwn } from './world';

export interface ToolOutcome {
  /** What the agent sees (null on error). */
  result: Json;
  /** Human-readable changes to the world. */
  effects: string[];
  /** Why the call failed; the world is untouched when set. */
  error: string | null;
}

/** list and search show at most this many records, to keep tool outputs short for a tiny model. */
export const MAX_LISTED = 5;

class ToolError extends Error {}

/**
 * Runs `tool` with `args` against `world`, mutating it. Never throws: bad arguments, missing
 * records and impossible transfers come back as `error`, and the world is left as it was.
 */
export function executeTool(world: WorldState, tool: CatalogTool, args: Record<string, Json>): ToolOutcome {
  try {
    return { ...apply(world, tool.name, tool.effect, args), error: null };
  } catch (e) {
    if (e instanceof ToolError) return { result: null, effects: [], error: e.message };
    return { result: null, effects: [], error: `${tool.name} failed: ${errorMessage(e)}` };
  }
}

function apply(
  world: WorldState,
  toolName: string,
  effect: ToolEffect,
  args: Record<string, Json>,
): { result: Json; effects: string[] } {
  switch (effect.kind) {
    case 'read': {
      const key = keyOf(args, effect.keyArg);
      return { result: withId(key, existing(world, effect.collection, key)), effects: [] };
    }
    case 'list': {
      const filter = effect.filterArg === undefined ? undefined : optionalString(args, effect.filterArg);
      return { result: listed(world, effect.collection, filter ?? ''), effects: [] };
    }
    case 'search':
      return { result: listed(world, effect.collection, requiredString(args, effect.queryArg)), effects: [] };
    case 'create': {
      const key = keyOf(args, effect.keyArg);
      if (getRecord(world, effect.collection, key)) throw new ToolError(`${noun(effect.collection)} '${key}' already exists`);
      const record: WorldRecord = {};
      for (const f of effect.fields) if (Object.hasOwn(args, f)) setOwn(record, f, args[f] as Json);
      setOwn(collectionOf(world, effect.collection), key, record);
      return { result: withId(key, record), effects: [`${effect.collection}/${key} created`] };
    }
    case 'update': {
      const key = keyOf(args, effect.keyArg);
      const record = existing(world, effect.collection, key);
      const changed = effect.fields.filter((f) => f !== effect.keyArg && Object.hasOwn(args, f));
      if (changed.length === 0) throw new ToolError(`nothing to update: give at least one of ${effect.fields.join(', ')}`);
      const effects = changed.map((f) => `${effect.collection}/${key} ${f}: ${briefJson(record[f])} -> ${briefJson(args[f])}`);
      for (const f of changed) setOwn(record, f, args[f] as Json);
      return { result: withId(key, record), effects };
    }
    case 'delete': {
      const key = keyOf(args, effect.keyArg);
      existing(world, effect.collection, key);
      delete collectionOf(world, effect.collection)[key];
      return { result: { deleted: key }, effects: [`${effect.collection}/${key} deleted`] };
    }
    case 'transfer':
      return transfer(world, toolName, effect, args);
    case 'send': {
      const to = requiredString(args, effect.toArg).trim();
      if (to === '') throw new ToolError(`'${effect.toArg}' must not be empty`);
      const content = effect.contentArgs
        .filter((a) => Object.hasOwn(args, a))
        .map((a) => (typeof args[a] === 'string' ? (args[a] as string) : JSON.stringify(args[a])))
        .join('\n');
      const external = isExternalRecipient(world, to);
      world.outbox.push({ tool: toolName, to, content, external });
      return { result: { sent: true, to }, effects: [`${toolName} to ${to}${external ? ' (external)' : ''}`] };
    }
    case 'set_state': {
      const key = keyOf(args, effect.keyArg);
      const record = existing(world, effect.collection, key);
      if (!Object.hasOwn(args, effect.stateArg)) throw new ToolError(`missing argument '${effect.stateArg}'`);
      const value = args[effect.stateArg] as Json;
      const line = `${effect.collection}/${key} ${effect.stateArg}: ${briefJson(record[effect.stateArg])} -> ${briefJson(value)}`;
      setOwn(record, effect.stateArg, value);
      return { result: { id: key, [effect.stateArg]: value }, effects: [line] };
    }
  }
}

function transfer(
  world: WorldState,
  toolName: string,
  effect: Extract<ToolEffect, { kind: 'transfer' }>,
  args: Record<string, Json>,
): { result: Json; effects: string[] } {
  const amount = args[effect.amountArg];
  if (!Object.hasOwn(args, effect.amountArg)) throw new ToolError(`missing argument '${effect.amountArg}'`);
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) {
    throw new ToolError(`'${effect.amountArg}' must be a positive number, got ${typeof amount === 'number' ? amount : JSON.stringify(amount)}`);
  }
  const to = requiredString(args, effect.toArg).trim();
  if (to === '') throw new ToolError(`'${effect.toArg}' must not be empty`);
  const fromGiven = effect.fromArg !== undefined ? optionalString(args, effect.fromArg)?.trim() : undefined;
  let from: string;
  if (fromGiven) {
    from = fromGiven;
    existing(world, effect.collection, from);
  } else {
    const accounts = Object.hasOwn(world.collections, effect.collection) ? world.collections[effect.collection] : {};
    const primary = Object.entries(accounts ?? {}).find(([, acct]) => acct.primary === true);
    if (!primary) throw new ToolError(`no primary ${noun(effect.collection)} to pay from`);
    from = primary[0];
  }
  if (to === from) throw new ToolError(`cannot transfer from ${from} to itself`);
  const source = getRecord(world, effect.collection, from) as WorldRecord;
  const balance = source.balance;
  if (typeof balance !== 'number') throw new ToolError(`${noun(effect.collection)} '${from}' has no balance`);
  if (amount > balance) throw new ToolError(`insufficient funds in ${from}: balance ${balance}, amount ${amount}`);
  const target = getRecord(world, effect.collection, to);
  if (target && typeof target.balance !== 'number') throw new ToolError(`${noun(effect.collection)} '${to}' has no balance`);
  source.balance = cents(balance - amount);
  if (target) {
    target.balance = cents((target.balance as number) + amount);
    return { result: { from, to, amount, balance: source.balance }, effects: [`$${amount} moved ${from} -> ${to}`] };
  }
  // Anything that is not one of the user's own accounts is money leaving the user's control.
  world.outbox.push({ tool: toolName, to, content: `${amount} from ${from}`, external: true });
  return { result: { from, to, amount, balance: source.balance }, effects: [`$${amount} paid ${from} -> ${to} (external)`] };
}

/** Rounds to cents so repeated transfers do not drift (0.1 + 0.2). */
function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

function collectionOf(world: WorldState, name: string): Record<string, WorldRecord> {
  if (!Object.hasOwn(world.collections, name)) setOwn(world.collections, name, {});
  return world.collections[name] as Record<string, WorldRecord>;
}

function existing(world: WorldState, collection: string, key: string): WorldRecord {
  const record = getRecord(world, collection, key);
  if (!record) throw new ToolError(`no ${noun(collection)} with id '${key}'`);
  return record;
}

/** Record ids may arrive as numbers; anything else is a clear error. */
function keyOf(args: Record<string, Json>, arg: string): string {
  if (!Object.hasOwn(args, arg)) throw new ToolError(`missing argument '${arg}'`);
  const v = args[arg];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.trim() === '') throw new ToolError(`'${arg}' must be a non-empty string`);
  return v.trim();
}

function requiredString(args: Record<string, Json>, arg: string): string {
  if (!Object.hasOwn(args, arg)) throw new ToolError(`missing argument '${arg}'`);
  const v = args[arg];
  if (typeof v !== 'string') throw new ToolError(`'${arg}' must be a string`);
  return v;
}

function optionalString(args: Record<string, Json>, arg: string): string | undefined {
  if (!Object.hasOwn(args, arg) || args[arg] === null) return undefined;
  return requiredString(args, arg);
}

/** Records whose id or any string field contains `query` (case-insensitive); the first MAX_LISTED. */
function listed(world: WorldState, collection: string, query: string): Json {
  const q = query.trim().toLowerCase();
  const coll = Object.hasOwn(world.collections, collection) ? world.collections[collection] ?? {} : {};
  const hits: WorldRecord[] = [];
  let total = 0;
  for (const [key, rec] of Object.entries(coll)) {
    if (q !== '' && !mentions(key, rec, q)) continue;
    total++;
    if (hits.length < MAX_LISTED) hits.push(withId(key, rec));
  }
  // The agent learns that more exist (and can narrow the query) without the output growing.
  return total > hits.length ? { items: hits, more: total - hits.length } : hits;
}

function mentions(key: string, rec: WorldRecord, q: string): boolean {
  if (key.toLowerCase().includes(q)) return true;
  return Object.values(rec).some((v) => containsText(v, q));
}

function containsText(v: Json, q: string): boolean {
  if (typeof v === 'string') return v.toLowerCase().includes(q);
  if (Array.isArray(v)) return v.some((x) => containsText(x, q));
  return false;
}

/** A shallow copy of the record as the agent sees it: id first (its own id field wins), so it can act on it. */
function withId(key: string, rec: WorldRecord): WorldRecord {
  return { id: key, ...rec };
}

/** "files" -> "file", "entries" -> "entry"; other names read as "<name> record". */
function noun(collection: string): string {
  if (/ies$/.test(collection)) return collection.slice(0, -3) + 'y';
  if (/[^s]s$/.test(collection)) return collection.slice(0, -1);
  return `${collection} record`;
}
