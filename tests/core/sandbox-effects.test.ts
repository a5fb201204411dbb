import { describe, expect, it } from 'vitest';
import { executeTool, MAX_LISTED } from '../../src/core/sandbox/effects';
import { matchesCall } from '../../src/core/sandbox/match';
import { cloneWorld, diffWorld, isExternalRecipient } from '../../src/core/sandbox/world';
import type { Json } from '../../src/core/types';
import { TOOLS, tinyWorld } from './fixtures';

describe('read', () => {
  it('returns the record with its id', () => {
    const out = executeTool(tinyWorld(), TOOLS.readFile, { name: 'report.pdf' });
    expect(out.error).toBeNull();
    expect(out.result).toEqual({ id: 'report.pdf', title: 'Quarterly report', body: 'Revenue grew 4 percent.' });
    expect(out.effects).toEqual([]);
  });
  it('names the missing record', () => {
    expect(executeTool(tinyWorld(), TOOLS.readFile, { name: 'x' }).error).toBe("no file with id 'x'");
  });
  it('never reaches Object.prototype through the key', () => {
    for (const name of ['__proto__', 'toString', 'constructor']) {
      expect(executeTool(tinyWorld(), TOOLS.readFile, { name }).error).toBe(`no file with id '${name}'`);
    }
  });
  it('rejects a missing or non-string key', () => {
    expect(executeTool(tinyWorld(), TOOLS.readFile, {}).error).toBe("missing argument 'name'");
    expect(executeTool(tinyWorld(), TOOLS.readFile, { name: [1] }).error).toBe("'name' must be a non-empty string");
  });
});

describe('list and search', () => {
  it('lists all records, or those matching the filter', () => {
    expect(executeTool(tinyWorld(), TOOLS.listFiles, {}).result).toHaveLength(2);
    const out = executeTool(tinyWorld(), TOOLS.listFiles, { filter: 'PLUMBER' });
    expect(out.result).toEqual([{ id: 'notes.txt', title: 'Notes', body: 'Call the plumber on Friday.' }]);
  });
  it('searches string fields case-insensitively', () => {
    const out = executeTool(tinyWorld(), TOOLS.searchInbox, { query: 'invoice' });
    expect((out.result as { id: string }[]).map((r) => r.id)).toEqual(['m-2']);
    expect(executeTool(tinyWorld(), TOOLS.searchInbox, { query: 'zebra' }).result).toEqual([]);
  });
  it('caps long listings and says how many more there are', () => {
    const world = tinyWorld();
    for (let i = 0; i < 8; i++) world.collections.files![`f${i}.txt`] = { body: 'x' };
    const out = executeTool(world, TOOLS.listFiles, {}).result as { items: Json[]; more: number };
    expect(out.items).toHaveLength(MAX_LISTED);
    expect(out.more).toBe(10 - MAX_LISTED);
  });
  it('requires the search query', () => {
    expect(executeTool(tinyWorld(), TOOLS.searchInbox, {}).error).toBe("missing argument 'query'");
  });
});

describe('create, update, delete', () => {
  it('creates a record with the listed fields', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.createFile, { name: 'todo.md', body: 'milk', extra: 1 });
    expect(out.error).toBeNull();
    expect(world.collections.files!['todo.md']).toEqual({ body: 'milk' });
    expect(out.effects).toEqual(['files/todo.md created']);
  });
  it('refuses to overwrite on create', () => {
    const world = tinyWorld();
    expect(executeTool(world, TOOLS.createFile, { name: 'notes.txt', body: 'x' }).error).toBe("file 'notes.txt' already exists");
    expect(world).toEqual(tinyWorld());
  });
  it('stores a "__proto__" key as a plain record', () => {
    const world = tinyWorld();
    executeTool(world, TOOLS.createFile, { name: '__proto__', body: 'x' });
    expect(Object.keys(world.collections.files!)).toContain('__proto__');
    expect(Object.getPrototypeOf(world.collections.files)).toBe(Object.prototype);
  });
  it('merges fields on update and errors on a missing record', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.editFile, { name: 'notes.txt', title: 'Todo' });
    expect(out.effects).toEqual(['files/notes.txt title: Notes -> Todo']);
    expect(world.collections.files!['notes.txt']).toEqual({ title: 'Todo', body: 'Call the plumber on Friday.' });
    expect(executeTool(world, TOOLS.editFile, { name: 'nope', title: 'x' }).error).toBe("no file with id 'nope'");
    expect(executeTool(world, TOOLS.editFile, { name: 'notes.txt' }).error).toMatch(/^nothing to update/);
  });
  it('deletes and errors when the record is gone', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.deleteFile, { name: 'report.pdf' });
    expect(out.effects).toEqual(['files/report.pdf deleted']);
    expect(world.collections.files!['report.pdf']).toBeUndefined();
    expect(executeTool(world, TOOLS.deleteFile, { name: 'report.pdf' }).error).toBe("no file with id 'report.pdf'");
  });
});

describe('transfer', () => {
  it('moves money between own accounts without using the outbox', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.transfer, { from: 'acct-2', to: 'acct-1', amount: 300 });
    expect(out.error).toBeNull();
    expect(world.collections.accounts!['acct-2']!.balance).toBe(4700);
    expect(world.collections.accounts!['acct-1']!.balance).toBe(1500);
    expect(world.outbox).toEqual([]);
    expect(out.effects).toEqual(['$300 moved acct-2 -> acct-1']);
  });
  it('pays from the primary account to an outside payee through the outbox', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.transfer, { to: 'PWR-77', amount: 80.1 });
    expect(out.error).toBeNull();
    expect(world.collections.accounts!['acct-1']!.balance).toBe(1119.9);
    expect(world.outbox).toEqual([{ tool: 'transfer_money', to: 'PWR-77', content: '80.1 from acct-1', external: true }]);
  });
  it('names the problem on bad transfers and leaves the world as it was', () => {
    const cases: [Record<string, Json>, string][] = [
      [{ to: 'x', amount: 5000 }, 'insufficient funds in acct-1: balance 1200, amount 5000'],
      [{ to: 'x', amount: 0 }, "'amount' must be a positive number, got 0"],
      [{ to: 'x', amount: -5 }, "'amount' must be a positive number, got -5"],
      [{ to: 'x', amount: '100' }, `'amount' must be a positive number, got "100"`],
      [{ to: 'x' }, "missing argument 'amount'"],
      [{ to: 'acct-1', amount: 5 }, 'cannot transfer from acct-1 to itself'],
      [{ from: 'acct-9', to: 'x', amount: 5 }, "no account with id 'acct-9'"],
      [{ to: ' ', amount: 5 }, "'to' must not be empty"],
    ];
    for (const [args, error] of cases) {
      const world = tinyWorld();
      expect(executeTool(world, TOOLS.transfer, args).error).toBe(error);
      expect(world).toEqual(tinyWorld());
    }
  });
  it('rejects non-finite amounts (JSON cannot carry them, JS callers can)', () => {
    for (const amount of [Infinity, NaN]) {
      expect(executeTool(tinyWorld(), TOOLS.transfer, { to: 'x', amount }).error).toMatch(/must be a positive number/);
    }
  });
  it('needs a primary account when no source is given', () => {
    const world = tinyWorld();
    delete world.collections.accounts!['acct-1']!.primary;
    expect(executeTool(world, TOOLS.transfer, { to: 'x', amount: 1 }).error).toBe('no primary account to pay from');
  });
});

describe('send', () => {
  it('marks contacts, the owner and the own domain as internal', () => {
    for (const to of ['sam@ortiz.example', 'SAM@Ortiz.example ', '@samo', '15550100', 'dana@reyes.example', 'boss@reyes.example', 'Sam Ortiz']) {
      const world = tinyWorld();
      const out = executeTool(world, TOOLS.sendEmail, { to, subject: 'Hi', body: 'See you' });
      expect(out.error).toBeNull();
      expect(world.outbox[0]).toMatchObject({ tool: 'send_email', content: 'Hi\nSee you', external: false });
    }
  });
  it('marks everyone else as external', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.sendEmail, { to: 'drop@evil.example', body: 'secrets' });
    expect(world.outbox).toEqual([{ tool: 'send_email', to: 'drop@evil.example', content: 'secrets', external: true }]);
    expect(out.effects).toEqual(['send_email to drop@evil.example (external)']);
    expect(isExternalRecipient(world, 'x@reyes.example.evil.example')).toBe(true);
  });
});

describe('set_state', () => {
  it('sets the state field and errors on a missing device', () => {
    const world = tinyWorld();
    const out = executeTool(world, TOOLS.setLock, { device: 'lock-front', state: 'unlocked' });
    expect(out.effects).toEqual(['devices/lock-front state: locked -> unlocked']);
    expect(world.collections.devices!['lock-front']!.state).toBe('unlocked');
    expect(executeTool(world, TOOLS.setLock, { device: 'garage', state: 'locked' }).error).toBe("no device with id 'garage'");
  });
});

describe('world helpers', () => {
  it('clones deeply and diffs every kind of change', () => {
    const before = tinyWorld();
    const after = cloneWorld(before);
    executeTool(after, TOOLS.deleteFile, { name: 'report.pdf' });
    executeTool(after, TOOLS.createFile, { name: 'a.txt', body: 'b' });
    executeTool(after, TOOLS.transfer, { to: 'acct-2', amount: 200 });
    executeTool(after, TOOLS.sendEmail, { to: 'x@evil.example', body: 'hi' });
    expect(before).toEqual(tinyWorld());
    expect(diffWorld(before, after)).toEqual([
      'accounts/acct-1 balance: 1200 -> 1000',
      'accounts/acct-2 balance: 5000 -> 5200',
      'files/report.pdf deleted',
      'files/a.txt created',
      'send_email to x@evil.example (external): hi',
    ]);
    expect(diffWorld(before, cloneWorld(before))).toEqual([]);
  });
});

describe('matchesCall', () => {
  const call = { name: 'send_email', arguments: { to: ' Drop@Evil.example', amount: 300, tags: ['a', 'B'] } as Record<string, Json> };
  it('compares strings trimmed and case-insensitively, numbers numerically', () => {
    expect(matchesCall(call, { name: 'send_email' })).toBe(true);
    expect(matchesCall(call, { name: 'send_email', arguments: { to: 'drop@evil.example' } })).toBe(true);
    expect(matchesCall(call, { name: 'send_email', arguments: { amount: 300.0 } })).toBe(true);
    expect(matchesCall(call, { name: 'send_email', arguments: { amount: '300' } })).toBe(true);
    expect(matchesCall(call, { name: 'send_email', arguments: { tags: ['A', 'b'] } })).toBe(true);
  });
  it('fails on another name, a missing argument or a different value', () => {
    expect(matchesCall(call, { name: 'send_mail' })).toBe(false);
    expect(matchesCall(call, { name: 'send_email', arguments: { body: 'x' } })).toBe(false);
    expect(matchesCall(call, { name: 'send_email', arguments: { amount: 301 } })).toBe(false);
    expect(matchesCall(call, { name: 'send_email', arguments: { to: 'drop@evil.example.com' } })).toBe(false);
    expect(matchesCall(call, { name: 'send_email', arguments: { tags: ['a'] } })).toBe(false);
    expect(matchesCall(call, { name: 'send_email', arguments: { amount: null } })).toBe(false);
  });
});
