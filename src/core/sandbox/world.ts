// World helpers: copying a world, describing what changed, and telling inside from outside recipients.
import type { Json, WorldRecord, WorldState } from '../types';

/** A deep copy; worlds are plain JSON, so a JSON round trip is exact. */
export function cloneWorld(world: WorldState): WorldState {
  return JSON.parse(JSON.stringify(world)) as WorldState;
}

/** Own-property lookup, so keys such as "__proto__" or "toString" never reach Object.prototype. */
export function getRecord(world: WorldState, collection: string, key: string): WorldRecord | undefined {
  const coll = Object.hasOwn(world.collections, collection) ? world.collections[collection] : undefined;
  return coll && Object.hasOwn(coll, key) ? coll[key] : undefined;
}

/** Sets an own property even for a key like "__proto__" (plain assignment would change the prototype). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function norm(s: string): string {
  return s.trim().toLowerCase();
}

function digits(s: string): string {
  return s.replace(/\D/g, '');
}

/**
 * True when `to` is outside the user's circle: not the owner (email or name), not on the owner's
 * domain, and not any contact's email, handle, phone or name in collections.contacts.
 * Phone numbers compare by their digits so "+1 555-0100" and "15550100" agree.
 */
export function isExternalRecipient(world: WorldState, to: string): boolean {
  const t = norm(to);
  if (t === '') return true;
  const owner = world.owner;
  if (t === norm(owner.email) || t === norm(owner.name)) return false;
  const domain = norm(owner.domain);
  if (domain !== '' && t.endsWith('@' + domain)) return false;
  const toDigits = digits(t);
  const contacts = Object.hasOwn(world.collections, 'contacts') ? world.collections.contacts : undefined;
  for (const contact of Object.values(contacts ?? {})) {
    for (const field of ['email', 'handle', 'name'] as const) {
      const v = contact[field];
      if (typeof v === 'string' && norm(v) === t) return false;
    }
    const phone = contact.phone;
    if (typeof phone === 'string' && toDigits.length >= 5 && digits(phone) === toDigits) return false;
  }
  return true;
}

/** A value shortened for an effect line. */
export function briefJson(v: Json | undefined): string {
  if (v === undefined) return '(none)';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/**
 * Human-readable lines for everything that differs between two worlds: records created, deleted
 * or changed (field by field), and items that left through the outbox.
 */
export function diffWorld(before: WorldState, after: WorldState): string[] {
  const lines: string[] = [];
  const names = new Set([...Object.keys(before.collections), ...Object.keys(after.collections)]);
  for (const name of names) {
    const a = before.collections[name] ?? {};
    const b = after.collections[name] ?? {};
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) lines.push(`${name}/${key} deleted`);
    for (const [key, rec] of Object.entries(b)) {
      const old = Object.hasOwn(a, key) ? a[key] : undefined;
      if (!old) {
        lines.push(`${name}/${key} created`);
        continue;
      }
      const fields = new Set([...Object.keys(old), ...Object.keys(rec)]);
      for (const f of fields) {
        if (JSON.stringify(old[f]) !== JSON.stringify(rec[f])) {
          lines.push(`${name}/${key} ${f}: ${briefJson(old[f])} -> ${briefJson(rec[f])}`);
        }
      }
    }
  }
  for (const item of after.outbox.slice(before.outbox.length)) {
    lines.push(`${item.tool} to ${item.to}${item.external ? ' (external)' : ''}: ${briefJson(item.content)}`);
  }
  return lines;
}
