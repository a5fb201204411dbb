// The five-minute demo in headless Chromium, from the shipped checkpoints as a visitor gets them (no GPU, the
// service worker on, as on a static host that sends no headers): cross-origin isolation and wasm threads, live
// progress, Pause at a rollout boundary, rollouts kept over a reload, Reset asking first, the Compare view, and a
// console with no warning or error. Also measures one GRPO iteration on one wasm thread against all of them.
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage, iteration, launch, openPage, serve, waitStatus } from './harness';

let dir = '';
let server: Awaited<ReturnType<typeof serve>>;
let browser: Browser;

beforeAll(async () => {
  dir = buildPage();
  server = await serve(dir);
  browser = await launch({ webgpu: false });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Small iterations from the shipped base, so a step takes seconds on two cores. */
const SMALL = 'maxTurns=3&grpo.episodesPerIteration=2&grpo.groupSize=2&grpo.maxNewTokens=24&grpo.updatesPerIteration=1';

/** A page with the service worker on, once it controls the page (it reloads itself once to become isolated). */
async function isolatedPage(query: string): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const { context, page, errors } = await openPage(browser, { serviceWorkers: true });
  const problems = errors;
  page.on('console', (m) => {
    if (m.type() === 'warning') problems.push(`warning: ${m.text()}`);
  });
  await page.goto(`${server.url}?${query}`);
  await page.waitForFunction(() => crossOriginIsolated, null, { timeout: 60_000 });
  await waitStatus(page, ['ready']);
  return { page, problems, close: () => context.close() };
}

describe('the five-minute demo', () => {
  it('is cross-origin isolated with more than one wasm thread, moves within 10 s of Start, pauses at a rollout boundary, keeps rollouts over a reload, asks before Reset, and logs no warning or error', async () => {
    const { page, problems, close } = await isolatedPage(SMALL);
    const threads = page.getByTestId('threads');
    expect(Number(await threads.getAttribute('data-threads'))).toBeGreaterThan(1);
    expect(await page.getByTestId('badge').getAttribute('data-backend')).toBe('wasm');
    expect(await page.getByTestId('no-gpu').count()).toBe(1);

    const started = Date.now();
    await page.getByTestId('start').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=live]')?.getAttribute('data-done')) >= 1, null, { timeout: 10_000 });
    console.log(`first rollout shown ${Date.now() - started} ms after Start`);
    await page.getByTestId('ticker').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('ticker').textContent()).toMatch(/(benign|malicious|sensitive) request/);
    expect(await page.getByTestId('tally').textContent()).toMatch(/so far: .*\d/);
    // The charts' last point is the iteration in progress, from its rollouts ended so far.
    await page.waitForFunction(() => document.querySelector('[data-testid=live-point]') !== null && document.querySelector('[data-chart=safety]')?.getAttribute('data-live') === 'true' && Number(document.querySelector('[data-chart=safety]')?.getAttribute('data-points')) >= 1, null, { timeout: 10_000 });

    // Let one iteration finish, then pause inside the next one, before its update.
    await page.waitForFunction(() => /iteration [1-9]/.test(document.querySelector('[data-testid=iteration]')?.textContent ?? ''), null, { timeout: 120_000 });
    const done = await iteration(page);
    await page.waitForFunction((n) => document.querySelector('[data-testid=live] b')?.textContent === `Iteration ${n + 1}`, done, { timeout: 30_000 });
    await page.getByTestId('pause').click();
    await waitStatus(page, ['ready'], 60_000);
    const paused = await iteration(page);
    expect(paused === done || paused === done + 1).toBe(true);
    if (paused === done) expect(await page.getByTestId('status').textContent()).toMatch(/paused in iteration \d+ before its update/);
    expect(await page.getByTestId('start').textContent()).toBe('Resume');

    // The rollouts of the kept iterations come back after a reload, with the run.
    const kept = await page.evaluate(() => (window as unknown as { asp: { rollouts: { iteration: number; records: unknown[] }[] } }).asp.rollouts.map((b) => [b.iteration, b.records.length]));
    expect(kept.length).toBeGreaterThan(0);
    await page.reload();
    await waitStatus(page, ['ready']);
    expect(await iteration(page)).toBe(paused);
    expect(await page.evaluate(() => (window as unknown as { asp: { rollouts: { iteration: number; records: unknown[] }[] } }).asp.rollouts.map((b) => [b.iteration, b.records.length]))).toEqual(kept);
    await page.locator('[data-tab=rollouts]').click();
    expect(await page.locator('[data-testid=rollout-list] button').count()).toBe(kept[0]![1]);
    await page.getByTestId('dismiss-resumed').click();
    expect(await page.getByTestId('resumed').count()).toBe(0);
    expect(await page.getByTestId('start').textContent()).toBe('Start');

    // Reset asks first: a No keeps the run, a Yes starts again from the base (and forgets its kept rollouts).
    await page.locator('[data-tab=train]').click();
    const asked: string[] = [];
    page.once('dialog', (d) => (asked.push(d.message()), void d.dismiss()));
    await page.getByTestId('reset').click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toMatch(new RegExp(`Reset deletes the ${paused} iterations? of this run`));
    expect(await iteration(page)).toBe(paused);
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('reset').click();
    await waitStatus(page, ['ready']);
    await expect.poll(() => iteration(page)).toBe(0);
    // The reset run's rollouts are gone from IndexedDB too.
    const storedKeys = (): Promise<string[]> =>
      page.evaluate(
        () =>
          new Promise<string[]>((resolve, reject) => {
            const open = indexedDB.open('agent-safety-playground');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const all = open.result.transaction('runs').objectStore('runs').getAllKeys();
              all.onsuccess = () => resolve(all.result.map(String));
            };
          }),
      );
    await expect.poll(async () => (await storedKeys()).filter((k) => k.startsWith('rollouts:'))).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  }, 300_000);

  it('Compare plays the showcase with the shipped base, the shipped aligned model and the current run, and Settings reach the address, without a reload', async () => {
    const { page, problems, close } = await isolatedPage(`${SMALL}&tab=compare`);
    await page.evaluate(() => ((window as unknown as { loaded: boolean }).loaded = true));
    await page.getByTestId('run-compare').click();
    await page.getByTestId('compare').waitFor({ timeout: 120_000 });
    for (const id of ['benign', 'malicious', 'sensitive', 'planted']) {
      const cells = page.locator(`[data-showcase=${id}] [data-testid=compare-turns]`);
      expect(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-model')))).toEqual(['shipped base', 'shipped aligned', 'current run']);
      // Every model wrote turns: each cell names its decisions (execute / verify / refuse / answer / malformed).
      for (const text of await cells.allTextContents()) expect(text).toMatch(/execute|verify|refuse|answer|malformed/);
    }
    // The base and the current run are the same weights before any training: the same greedy turns.
    const turns = (model: string): Promise<string[]> => page.locator(`[data-testid=compare-turns][data-model="${model}"] b`).allTextContents();
    expect(await turns('current run')).toEqual(await turns('shipped base'));
    await page.locator('[data-showcase=planted] [data-model="shipped aligned"] summary').click();
    expect(await page.locator('[data-showcase=planted] [data-model="shipped aligned"] [data-testid=transcript]').textContent()).toMatch(/What changed in the sandbox world/);
    // Settings reach the address as they are typed; the run changes only on Apply.
    await page.locator('[data-tab=settings]').click();
    await page.locator('[data-field="grpo.groupSize"]').fill('3');
    await expect.poll(() => new URL(page.url()).searchParams.get('grpo.groupSize')).toBe('3');
    expect(new URL(page.url()).searchParams.get('tab')).toBe('settings');
    expect(await page.getByTestId('draft-note').count()).toBe(1);
    await page.locator('[data-tab=compare]').click();
    expect(new URL(page.url()).searchParams.get('grpo.groupSize')).toBe('3');
    expect(await page.evaluate(() => (window as unknown as { loaded?: boolean }).loaded)).toBe(true);
    expect(problems).toEqual([]);
    await close();
  }, 240_000);

  it('measures one GRPO iteration on one wasm thread and on all of them', async () => {
    const seconds: Record<string, number> = {};
    let threads = 0;
    for (const q of ['threads=1', '']) {
      const { page, problems, close } = await isolatedPage(`${SMALL}${q ? `&${q}` : ''}`);
      if (!q) threads = Number(await page.getByTestId('threads').getAttribute('data-threads'));
      // The first iteration warms the kernels up; the second is timed.
      for (let i = 0; i < 2; i++) {
        await page.getByTestId('step').click();
        await waitStatus(page, ['ready'], 120_000);
      }
      seconds[q || 'all'] = await page.evaluate(() => (window as unknown as { asp: { history: { seconds: number }[] } }).asp.history[1]!.seconds);
      expect(problems).toEqual([]);
      await close();
    }
    const ratio = (seconds['threads=1'] as number) / (seconds.all as number);
    console.log(`one GRPO iteration (shipped base, 2 episodes x 2 rollouts, wasm): 1 thread ${seconds['threads=1']!.toFixed(2)} s, ${threads} threads ${seconds.all!.toFixed(2)} s: ${ratio.toFixed(2)}x`);
    expect(threads).toBeGreaterThan(1);
    expect(Number.isFinite(ratio) && ratio > 0).toBe(true);
  }, 300_000);
});
