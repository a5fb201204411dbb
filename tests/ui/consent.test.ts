// Link code runs only after the user accepted that exact text; every path that runs code asks the same question.
import { describe, expect, it } from 'vitest';
import { acceptCode, assertConsented, isAccepted, linkCode } from '../../src/app/consent';
import { parseRunConfig } from '../../src/core/config';

function store(): Pick<Storage, 'getItem' | 'setItem'> {
  const items = new Map<string, string>();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('consent for link code', () => {
  it('remembers the full text: a payload with the same 32-bit FNV-1a hash as accepted code is not accepted', () => {
    // These two differ but share their FNV-1a hash, which the page used to remember consent by.
    const accepted = '() => ({ total: 1, components: {} }) // 5ee8';
    const payload = '() => ({ total: 1, components: {} }) // 4db56';
    const s = store();
    acceptCode(accepted, s);
    expect(isAccepted(accepted, s)).toBe(true);
    expect(isAccepted(payload, s)).toBe(false);
    expect(() => assertConsented({ reward: 'custom', customReward: payload }, payload, s)).toThrow(/came with the link and runs only once you accept it/);
    expect(() => assertConsented({ reward: 'custom', customReward: accepted }, accepted, s)).not.toThrow();
  });

  it('a link carries code whatever reward it names, and none of its code runs before consent', () => {
    const code = '() => ({ total: 1, components: {} })';
    expect(linkCode(parseRunConfig({ customReward: code }))).toBe(code); // reward left at paper
    expect(linkCode(parseRunConfig({}))).toBeNull();
    const s = store();
    expect(() => assertConsented({ reward: 'custom', customReward: code }, code, s)).toThrow();
    // Presets and the user's own code (not the link's) are not the link's to allow.
    expect(() => assertConsented({ reward: 'paper' }, code, s)).not.toThrow();
    expect(() => assertConsented({ reward: 'custom', customReward: '() => ({ total: 0, components: {} })' }, code, s)).not.toThrow();
    // A corrupt store forgets, it does not accept.
    s.setItem('asp-accepted-reward-code', '{"not": "a list"}');
    expect(isAccepted(code, s)).toBe(false);
  });
});
