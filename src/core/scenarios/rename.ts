// Fresh names for an episode's tools and their arguments (training only): when names change from episode to episode,
// the one way to call the right tool is to read the list in the system prompt, not to recall a memorised name.
import type { Rng } from '../rng';
import { fieldOf } from '../sandbox/effects';
import type { CallMatcher, Episode, JsonSchema, ToolEffect } from '../types';
import { DOMAINS } from './domains';

const CONSONANTS = [...'bdfgklmnprstvz'];
const VOWELS = [...'aeiou'];

/** Every catalog name, tools and arguments of both splits: a fresh name is never one of them. */
const TAKEN = new Set(DOMAINS.flatMap((d) => d.tools.flatMap((t) => [t.name, ...Object.keys(t.parameters.properties ?? {})])));
/** Their words: a made-up part never spells one, so no word of the test split reaches training by chance. */
const WORDS = new Set([...TAKEN].flatMap((n) => n.split('_')));

function pseudoWord(rng: Rng): string {
  for (;;) {
    let w = '';
    for (let i = rng.int(2, 3); i > 0; i--) w += rng.pick(CONSONANTS) + rng.pick(VOWELS);
    if (!WORDS.has(w)) return w;
  }
}

/** Each `_` part kept or made up (at least one made up), redrawn until it is no catalog name and not yet in `used`. */
function freshName(name: string, rng: Rng, used: Set<string>): string {
  const parts = name.split('_');
  for (;;) {
    const made = parts.map(() => rng.bool());
    if (!made.includes(true)) made[rng.int(0, parts.length - 1)] = true;
    const fresh = parts.map((p, i) => (made[i] ? pseudoWord(rng) : p)).join('_');
    if (!TAKEN.has(fresh) && !used.has(fresh)) {
      used.add(fresh);
      return fresh;
    }
  }
}

/**
 * Identifiers (names with `_`) in free text that `names` renames. Plain-word names stay: in prompts and planted
 * phrases they are English ("send it to ...", "lock unlocked"), and only identifiers ever spell a tool or argument.
 */
function retext(text: string, names: ReadonlyMap<string, string>): string {
  return text.replace(/[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+/g, (w) => names.get(w) ?? w);
}

function renameKeys<T>(obj: Record<string, T>, rename: (k: string) => string): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [rename(k), v]));
}

function renameParameters(p: JsonSchema, arg: (a: string) => string): JsonSchema {
  return {
    ...p,
    ...(p.properties && { properties: renameKeys(p.properties, arg) }),
    ...(p.required && { required: p.required.map(arg) }),
  };
}

/** The same effect on renamed arguments; arguments stored in records keep their record field through fieldOf. */
function renameEffect(e: ToolEffect, arg: (a: string) => string): ToolEffect {
  switch (e.kind) {
    case 'read':
    case 'delete':
      return { ...e, keyArg: arg(e.keyArg) };
    case 'list':
      return e.filterArg === undefined ? e : { ...e, filterArg: arg(e.filterArg) };
    case 'search':
      return { ...e, queryArg: arg(e.queryArg) };
    case 'create':
    case 'update':
      return { ...e, keyArg: arg(e.keyArg), fields: e.fields.map(arg), fieldOf: Object.fromEntries(e.fields.map((f) => [arg(f), fieldOf(e, f)])) };
    case 'transfer':
      return { ...e, ...(e.fromArg !== undefined && { fromArg: arg(e.fromArg) }), toArg: arg(e.toArg), amountArg: arg(e.amountArg) };
    case 'send':
      return { ...e, toArg: arg(e.toArg), contentArgs: e.contentArgs.map(arg) };
    case 'set_state':
      return { ...e, keyArg: arg(e.keyArg), stateArg: arg(e.stateArg), fieldOf: { [arg(e.stateArg)]: fieldOf(e, e.stateArg) } };
  }
}

/**
 * The episode with every shown tool under a fresh name and fresh argument names, applied wherever the episode names
 * them (tools, calls, the planted goal and its text, sensitive tools). Descriptions, prompt and world keep their
 * words: only identifiers in them change. The input is not changed; the same rng state gives the same names.
 */
export function renameTools(episode: Episode, rng: Rng): Episode {
  const out = JSON.parse(JSON.stringify(episode)) as Episode;
  const toolNames = new Map<string, string>();
  const argNames = new Map<string, Map<string, string>>();
  const usedTools = new Set<string>();
  for (const t of out.tools) {
    toolNames.set(t.name, freshName(t.name, rng, usedTools));
    const used = new Set<string>();
    argNames.set(t.name, new Map(Object.keys(t.parameters.properties ?? {}).map((a) => [a, freshName(a, rng, used)])));
  }
  const lookup = (names: ReadonlyMap<string, string> | undefined, name: string, what: string): string => {
    const fresh = names?.get(name);
    if (fresh === undefined) throw new Error(`renameTools: ${episode.id} names ${what} '${name}' that its tools do not have`);
    return fresh;
  };
  const tool = (name: string) => lookup(toolNames, name, 'tool');
  const argOf = (toolName: string) => (a: string) => lookup(argNames.get(toolName), a, `${toolName} argument`);
  /** What free text about one tool may name: any tool of the episode and that tool's arguments. */
  const textNames = (toolName: string) => new Map([...toolNames, ...(argNames.get(toolName) as Map<string, string>)]);
  const renameCall = <C extends CallMatcher>(c: C): C => ({
    ...c,
    name: tool(c.name),
    ...(c.arguments && { arguments: renameKeys(c.arguments, argOf(c.name)) }),
  });

  out.tools = out.tools.map((t) => ({
    ...t,
    name: tool(t.name),
    description: retext(t.description, textNames(t.name)),
    parameters: renameParameters(t.parameters, argOf(t.name)),
    effect: renameEffect(t.effect, argOf(t.name)),
  }));
  out.taskCalls = out.taskCalls.map(renameCall);
  out.forbiddenCalls = out.forbiddenCalls.map(renameCall);
  out.sensitiveTools = out.sensitiveTools.map(tool);
  if (out.injection) {
    const goal = renameCall(out.injection.goal);
    const before = out.injection.text;
    const after = retext(before, textNames(out.injection.goal.name));
    out.injection = { ...out.injection, text: after, goal };
    // The planted text sits in a field (its own, or appended to one) of the record the first call reads.
    for (const coll of Object.values(out.world.collections)) {
      for (const rec of Object.values(coll)) {
        for (const [k, v] of Object.entries(rec)) if (typeof v === 'string' && v.includes(before)) rec[k] = v.replaceAll(before, after);
      }
    }
  }
  return out;
}
