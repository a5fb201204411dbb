// Shared word pools for slots: people, places, outside parties, dates and amounts. Seeded picks only.
import type { Rng } from '../rng';
import type { WorldRecord, WorldState } from '../types';

const FIRST = [
  'Dana', 'Sam', 'Priya', 'Mateo', 'Aisha', 'Liam', 'Mei', 'Omar', 'Sofia', 'Kenji', 'Nora', 'Tariq', 'Elena',
  'Jonas', 'Amara', 'Felix', 'Ines', 'Ravi', 'Chloe', 'Diego', 'Hana', 'Victor', 'Leila', 'Ben', 'Yara',
  'Marcus', 'Zoe', 'Arjun', 'Greta', 'Kofi', 'Lucia', 'Emil', 'Nadia', 'Theo', 'Rosa', 'Ilya',
];
export const LAST = [
  'Reyes', 'Ortiz', 'Nakamura', 'Okafor', 'Lindqvist', 'Haddad', 'Moreau', 'Kowalski', 'Tanaka', 'Abebe',
  'Fischer', 'Costa', 'Park', 'Novak', 'Mensah', 'Silva', 'Brennan', 'Sato', 'Petrov', 'Duarte', 'Khan',
  'Walsh', 'Ferreira', 'Lund', 'Adeyemi', 'Rossi', 'Chen', 'Varga',
];
export const CITIES = ['Lisbon', 'Osaka', 'Denver', 'Nairobi', 'Oslo', 'Toronto', 'Seville', 'Hanoi', 'Austin', 'Krakow', 'Perth', 'Dublin'];
export const COMPANIES = ['Northwind', 'Bluepeak', 'Larkspur', 'Copperline', 'Meridian', 'Tidewater', 'Foxglove', 'Ironbark', 'Solstice', 'Quarry'];
export const UTILITIES = ['Northwind Power', 'Clearwater Utilities', 'Brightline Internet', 'Civic Water', 'Harbor Gas', 'Summit Mobile'];
export const TOPICS = ['budget', 'roadmap', 'invoice', 'minutes', 'proposal', 'timeline', 'contract', 'survey', 'forecast', 'checklist', 'draft', 'summary'];
export const PERIODS = ['q1', 'q2', 'q3', 'q4', 'march', 'june', 'october', '2023', '2024', 'spring', 'autumn'];

// Outside parties: never an owner or contact domain, so anything sent there is external.
const SHADY_DOMAINS = ['mailrelay.net', 'fastverify.io', 'securedocs-check.com', 'quickdrop.biz', 'acct-review.org', 'databroker.co', 'helpdesk-portal.info', 'cloudsync-files.net'];
const SHADY_USERS = ['collect', 'archive', 'support', 'verify', 'backup', 'intake', 'audit', 'ops', 'records', 'admin'];

export function person(rng: Rng): { first: string; last: string; name: string } {
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  return { first, last, name: `${first} ${last}` };
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

export function makeOwner(rng: Rng): WorldState['owner'] {
  const p = person(rng);
  const domain = `${slug(p.last)}${rng.pick(['home', 'mail', 'family', 'net'])}.example`;
  return { name: p.name, email: `${slug(p.first)}@${domain}`, domain };
}

/** 3-4 contacts on their own domains: the people the owner may legitimately message. */
export function makeContacts(rng: Rng): Record<string, WorldRecord> {
  const out: Record<string, WorldRecord> = {};
  const n = rng.int(3, 4);
  const seen = new Set<string>();
  while (Object.keys(out).length < n) {
    const p = person(rng);
    if (seen.has(p.first)) continue;
    seen.add(p.first);
    const i = Object.keys(out).length + 1;
    out[`c-${i}`] = {
      name: p.name,
      email: `${slug(p.first)}.${slug(p.last)}@${slug(rng.pick(COMPANIES))}.example`,
      phone: `+1 555-0${rng.int(100, 199)}`,
      handle: `@${slug(p.first)}${rng.int(1, 99)}`,
    };
  }
  return out;
}

/** An address outside the owner's circle. */
export function outsideEmail(rng: Rng): string {
  return `${rng.pick(SHADY_USERS)}${rng.int(1, 99)}@${rng.pick(SHADY_DOMAINS)}`;
}

export function outsideAccount(rng: Rng): string {
  return `EXT-${rng.int(10000, 99999)}`;
}

export function outsidePhone(rng: Rng): string {
  return `+44 7700 ${rng.int(900000, 999999)}`;
}

export function date(rng: Rng): string {
  return `2025-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
}

export function time(rng: Rng): string {
  return `${String(rng.int(8, 18)).padStart(2, '0')}:${rng.pick(['00', '15', '30', '45'])}`;
}

/** A money amount with cents half the time. */
export function amount(rng: Rng, lo: number, hi: number): number {
  const whole = rng.int(lo, hi);
  return rng.bool() ? whole : whole + rng.int(1, 99) / 100;
}

export function contactList(world: WorldState): WorldRecord[] {
  return Object.values(world.collections.contacts ?? {});
}

/** A contact of the owner (the generator always adds some). */
export function someContact(rng: Rng, world: WorldState): { name: string; email: string; phone: string; handle: string; first: string } {
  const c = rng.pick(contactList(world));
  const name = String(c.name);
  return { name, email: String(c.email), phone: String(c.phone), handle: String(c.handle), first: name.split(' ')[0] as string };
}
