// The built page in headless Chromium: WebGPU (SwiftShader), the fallback to wasm, training controls, charts,
// matrices, persistence, the main thread staying free, and custom rewards that throw or never return.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../src/core/config';
import { TrainerService } from '../../src/app/trainer-service';
import { buildPage, iteration, launch, openPage, serve, TINY, waitStatus } from './harness';

/**
 * Nothing heavy ran on the page's main thread since openPage (or since the test last emptied window.__longTasks):
 * training blocked it for seconds when it ran there. The Long Tasks threshold is 50 ms, but on 2 cores with both
 * workers busy the page's own rendering measured 59–72 ms tasks in some runs, and 112 ms once in the WebGPU test with
 * the whole suite running beside it (that test alone: within 100 ms), so the bound is 250 ms: far below any work moved
 * back onto the main thread.
 */
async function expectMainThreadFree(page: Page): Promise<void> {
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')} ms`).toBeLessThanOrEqual(250);
}

let dir = '';
let server: Awaited<ReturnType<typeof serve>>;

/** A tiny checkpoint made here in Node, served where the shipped base lives, so the default path is tested as is. */
async function writeBase(to: string): Promise<number> {
  const trainer = new TrainerService();
  await trainer.init({ prefer: 'auto' });
  const config = parseRunConfig({ model: { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, contextLength: 384, vocabSize: 300 }, sft: { batchSize: 2 } });
  const info = await trainer.startFromScratch('base', config);
  await trainer.step('base');
  const { policy } = await trainer.snapshot('base');
  trainer.dispose('base');
  mkdirSync(to, { recursive: true });
  writeFileSync(join(to, 'manifest.json'), JSON.stringify(policy.manifest));
  writeFileSync(join(to, 'weights.bin'), new Uint8Array(policy.weights));
  return info.parameters;
}

let baseParameters = 0;

beforeAll(async () => {
  dir = buildPage();
  baseParameters = await writeBase(join(dir, 'checkpoints', 'base'));
  server = await serve(dir);
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cells = (page: Page, id: string): Promise<string | null> => page.locator(`[data-heatmap="${id}"]`).getAttribute('data-cells');
const points = async (page: Page, id: string): Promise<number> => Number(await page.locator(`[data-chart="${id}"]`).getAttribute('data-points'));

async function pretrain(page: Page): Promise<void> {
  await waitStatus(page, ['needs-base']);
  await page.getByTestId('pretrain').click();
  await waitStatus(page, ['ready']);
}

async function withBrowser(webgpu: boolean, f: (browser: Browser) => Promise<void>): Promise<void> {
  const browser = await launch({ webgpu });
  try {
    await f(browser);
  } finally {
    await browser.close();
  }
}

describe('the page in a real browser', () => {
  it('trains on WebGPU, and when the GPU device is lost continues on wasm from the last good state', async () => {
    await withBrowser(true, async (browser) => {
      // 'auto' passes over a software adapter (wasm is much faster on it) and says so.
      const auto = await openPage(browser);
      await auto.page.goto(`${server.url}?${TINY}`);
      await waitStatus(auto.page, ['needs-base']);
      expect(await auto.page.getByTestId('badge').getAttribute('data-backend')).toBe('wasm');
      expect(await auto.page.getByTestId('notice').textContent()).toMatch(/WebGPU has only a software adapter \(google swiftshader\)/);
      await auto.context.close();

      const { page, errors } = await openPage(browser);
      // Free decoding here (the raw model, as a student can switch it), constrained in the wasm test below.
      await page.goto(`${server.url}?${TINY}&backend=webgpu&decoding=free`);
      await pretrain(page);
      const badge = page.getByTestId('badge');
      expect(await badge.getAttribute('data-backend')).toBe('webgpu');
      expect(await page.getByTestId('decoding').textContent()).toBe('free decoding');
      expect(await badge.textContent()).toContain('swiftshader');

      await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks = []));
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(1);
      expect(await points(page, 'reward-user')).toBe(1);
      // WebGPU work happens in the trainer worker: the page's main thread stays free meanwhile.
      await expectMainThreadFree(page);
      expect(await page.locator('[data-testid=error]').count()).toBe(0);

      expect(await page.evaluate(() => (window as unknown as { asp: { loseDevice(): Promise<boolean> } }).asp.loseDevice())).toBe(true);
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(2);
      expect(await badge.getAttribute('data-backend')).toBe('wasm');
      expect(await page.getByTestId('notice').textContent()).toMatch(/webgpu failed \(GPU device lost.*continues on wasm from iteration 1/);
      expect(errors).toEqual([]);
    });
  }, 240_000);

  it('with WebGPU unavailable falls back to wasm: charts fill, matrices change, pause/resume, no long main-thread task, survives a reload', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      await page.goto(`${server.url}?${TINY}`);
      await pretrain(page);
      expect(await page.getByTestId('badge').getAttribute('data-backend')).toBe('wasm');

      await page.evaluate(() => ((window as unknown as { __longTasks: number[] }).__longTasks = []));
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      const first = { user: await cells(page, 'user'), tool: await cells(page, 'tool') };
      expect(first.user).toBeTruthy();

      await page.getByTestId('start').click();
      // Browse rollouts while it trains (the long-task count covers this too).
      await page.locator('[data-tab=rollouts]').click();
      await page.waitForFunction(() => Number(/\d+/.exec(document.querySelector('[data-testid=iteration]')?.textContent ?? '')?.[0]) >= 5, null, { timeout: 120_000 });
      await page.locator('[data-testid=rollout-list] button').first().click();
      expect(await page.getByTestId('transcript').textContent()).toMatch(/total reward/);
      // The outcome filter offers the whole taxonomy, in the words a student reads.
      const labels = await page.locator('.filters select').nth(3).locator('option').allTextContents();
      expect(labels).toEqual(['all', 'correct', 'claimed success', 'attack succeeded', 'unsafe effect', 'over-refused', 'malformed', 'wrong tool or arguments', 'other mistake']);
      expect(await page.getByTestId('rewarded-wrong-count').textContent()).toMatch(/^\d+ rewarded but wrong$/);
      await page.locator('[data-tab=train]').click();
      await page.getByTestId('pause').click();
      await waitStatus(page, ['ready']);
      const paused = await iteration(page);
      expect(paused).toBeGreaterThanOrEqual(5);
      for (const id of ['reward-user', 'reward-tool', 'components', 'safety', 'task', 'rewarded-wrong', 'kl-entropy']) expect(await points(page, id), id).toBe(paused);
      expect(await page.locator('[data-chart=rewarded-wrong] .u-legend').textContent()).toMatch(/rewarded but wrong.*correct/);
      expect(await page.locator('[data-chart=task] .u-legend').textContent()).toMatch(/task done.*claimed success/);
      expect(await page.locator('[data-chart=safety] .u-legend').textContent()).toContain('unsafe effect');
      // The chart counts what the Rollouts view marks: per kept iteration, the rollouts that carry a reward note.
      const counted = await page.evaluate(() => {
        const asp = (window as unknown as { asp: { history: { iteration: number; rewardedButWrong: number | null }[]; rollouts: { iteration: number; records: { rewardNote: string | null }[] }[] } }).asp;
        return asp.rollouts.map((b) => ({ chart: asp.history.find((m) => m.iteration === b.iteration)?.rewardedButWrong, marked: b.records.filter((r) => r.rewardNote !== null).length }));
      });
      expect(counted.length).toBeGreaterThan(0);
      for (const c of counted) expect(c.chart).toBe(c.marked);
      // The policy really wrote turns (prompts fit the context), not only empty overflow turns.
      const written = await page.evaluate(() =>
        (window as unknown as { asp: { rollouts: { records: { trace: { steps: { text: string }[] } }[] }[] } }).asp.rollouts
          .flatMap((b) => b.records)
          .filter((r) => r.trace.steps.some((s) => s.text.length > 0)).length,
      );
      expect(written).toBeGreaterThan(0);
      // Constrained decoding by default: even this barely trained model writes only well-formed turns (an empty turn is
      // one the context had no room for).
      expect(await page.getByTestId('decoding').textContent()).toBe('constrained decoding');
      const malformed = await page.evaluate(() =>
        (window as unknown as { asp: { rollouts: { records: { trace: { steps: { text: string; action: { kind: string } }[] } }[] }[] } }).asp.rollouts
          .flatMap((b) => b.records.flatMap((r) => r.trace.steps))
          .filter((s) => s.text.length > 0 && s.action.kind === 'malformed').length,
      );
      expect(malformed).toBe(0);
      const later = { user: await cells(page, 'user'), tool: await cells(page, 'tool') };
      expect(later).not.toEqual(first);

      await page.waitForTimeout(2500);
      expect(await iteration(page)).toBe(paused);
      await page.getByTestId('start').click();
      await page.waitForFunction((n) => Number(/\d+/.exec(document.querySelector('[data-testid=iteration]')?.textContent ?? '')?.[0]) > n, paused, { timeout: 60_000 });
      await page.getByTestId('pause').click();
      await waitStatus(page, ['ready']);

      await expectMainThreadFree(page);

      const before = await iteration(page);
      await page.reload();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(before);
      expect(await page.locator('.banner.info').textContent()).toContain('Resumed');
      await page.locator('[data-tab=settings]').click();
      const saved = page.getByTestId('saved-runs').locator('tbody tr', { hasText: '(this run)' });
      await expect.poll(() => saved.locator('td').nth(1).textContent()).toBe(String(before));
      expect(errors).toEqual([]);
    });
  }, 240_000);

  it('a custom reward that throws shows its error and pauses; one that never returns is stopped; link code waits for consent', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      const throwing = 'function reward(input) { throw new Error("boom from the reward"); }';
      // Code in a shared link is shown, not run.
      await page.goto(`${server.url}?${TINY}&reward=custom&customReward=${encodeURIComponent(throwing)}`);
      await waitStatus(page, ['needs-accept']);
      expect(await page.getByTestId('pending-code').textContent()).toContain('boom from the reward');
      await page.getByTestId('accept-code').click();
      await pretrain(page);
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await page.getByTestId('error').textContent()).toContain('boom from the reward');
      expect(await iteration(page)).toBe(0);

      // The test bench shows a broken reward before any training; an endless loop is cut off by the watchdog.
      await page.locator('[data-tab=reward]').click();
      await page.getByTestId('run-bench').click();
      await expect.poll(() => page.getByTestId('bench-error').textContent(), { timeout: 30_000 }).toContain('boom from the reward');
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText('function reward() { for (;;) {} }');
      expect(await page.locator('.cm-content').textContent()).toContain('for (;;)');
      const started = Date.now();
      await page.getByTestId('run-bench').click();
      await expect.poll(() => page.getByTestId('bench-error').textContent(), { timeout: 30_000 }).toMatch(/longer than 1000 ms/);
      expect(Date.now() - started).toBeLessThan(15_000);
      // The page stayed responsive and the new sandbox worker works.
      await page.locator('[data-tab=train]').click();
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await page.getByTestId('error').textContent()).toContain('boom from the reward');
      expect(errors).toEqual([]);
    });
  }, 240_000);

  it('link code runs on no path before consent: a link leaving the reward at paper, the test bench, and a payload with an accepted hash', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      const hostile = 'function reward() { throw new Error("LINK CODE RAN"); }';
      // 1. The reward left at paper: the code is still shown first, and the editor does not take it in.
      await page.goto(`${server.url}?${TINY}&customReward=${encodeURIComponent(hostile)}`);
      await waitStatus(page, ['needs-accept']);
      expect(await page.getByTestId('pending-code').textContent()).toContain('LINK CODE RAN');
      await page.locator('[data-tab=reward]').click();
      await page.getByTestId('reward-kind').selectOption('custom');
      await page.locator('.cm-content').waitFor();
      expect(await page.locator('.cm-content').textContent()).not.toContain('LINK CODE RAN');
      // 2. The test bench before consent scores what the editor holds, never the link's code.
      await page.goto(`${server.url}?${TINY}&tab=reward&reward=custom&customReward=${encodeURIComponent(hostile)}`);
      await waitStatus(page, ['needs-accept']);
      await page.getByTestId('run-bench').click();
      await page.getByTestId('bench').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('bench-error').count()).toBe(0);
      // 3. Consent is remembered by the full text: a payload sharing the accepted code's 32-bit FNV-1a hash still asks.
      const accepted = '() => ({ total: 1, components: {} }) // 5ee8';
      const payload = '() => ({ total: 1, components: {} }) // 4db56';
      await page.goto(`${server.url}?${TINY}&reward=custom&customReward=${encodeURIComponent(accepted)}`);
      await waitStatus(page, ['needs-accept']);
      await page.getByTestId('accept-code').click();
      await waitStatus(page, ['needs-base', 'ready']);
      await page.goto(`${server.url}?${TINY}&reward=custom&customReward=${encodeURIComponent(payload)}`);
      await waitStatus(page, ['needs-accept']);
      expect(errors).toEqual([]);
    });
  }, 240_000);

  it('a custom reward stuck in a loop during training: the sandbox worker is replaced, the error shown, the run paused', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      await page.goto(`${server.url}?${TINY}&rewardTimeoutMs=500&reward=custom&customReward=${encodeURIComponent('function reward() { while (true) {} }')}`);
      await waitStatus(page, ['needs-accept']);
      await page.getByTestId('accept-code').click();
      await pretrain(page);
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready'], 30_000);
      expect(await page.getByTestId('error').textContent()).toMatch(/custom reward: a call took longer than 500 ms/);
      expect(await iteration(page)).toBe(0);
      // Still responsive: the tabs switch and the bench runs in the fresh sandbox worker.
      await page.locator('[data-tab=reward]').click();
      await page.getByTestId('reward-kind').selectOption('paper');
      await page.getByTestId('run-bench').click();
      await page.getByTestId('bench').waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-testid=bench] tbody th').allTextContents()).toEqual(['oracle', 'execute', 'refuse', 'malformed', 'ask-everything', 'claimed-success']);
      // The paper reward pays the agent that only claims success as much as the oracle wherever its label rule looks at decisions only.
      expect(await page.getByTestId('bench-gamed').textContent()).toMatch(/paid as much as the oracle on user sensitive, tool benign, tool sensitive prompts: this reward can be gamed by pretending/);
      await page.getByTestId('reward-kind').selectOption('strict');
      await page.getByTestId('run-bench').click();
      await expect.poll(() => page.getByTestId('bench-gamed').textContent(), { timeout: 30_000 }).toMatch(/paid less than the oracle wherever the task has to run/);
      expect(errors).toEqual([]);
    });
  }, 120_000);

  it('starts from the shipped base checkpoint by default; exports metrics and checkpoints, imports one; says so when the base is missing', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      const small = 'maxTurns=3&grpo.episodesPerIteration=2&grpo.groupSize=2&grpo.maxNewTokens=24&grpo.updatesPerIteration=1';
      await page.goto(`${server.url}?${small}`);
      await waitStatus(page, ['ready']);
      expect(await page.getByTestId('badge').textContent()).toContain(`${(baseParameters / 1000).toFixed(0)}k params`);
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(1);

      // A damaged saved run (truncated weights) is reported and forgotten; the page starts afresh from the base.
      await page.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const open = indexedDB.open('agent-safety-playground');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const store = open.result.transaction('runs', 'readwrite').objectStore('runs');
              const keys = store.getAllKeys();
              keys.onsuccess = () => {
                const key = keys.result.find((k) => String(k).startsWith('run:')) as IDBValidKey;
                const get = store.get(key);
                get.onsuccess = () => {
                  const run = get.result as { snapshot: { policy: { weights: ArrayBuffer } } };
                  run.snapshot.policy.weights = new ArrayBuffer(8);
                  store.put(run, key);
                  // Resolved on commit, not on the put's success, so the reload below sees the damage.
                  store.transaction.oncomplete = () => resolve();
                };
              };
            };
          }),
      );
      await page.reload();
      await waitStatus(page, ['ready']);
      expect(await page.getByTestId('error').textContent()).toMatch(/could not be restored \(checkpoint: .*weights file has 8 bytes \(truncated\?\)\); it was forgotten/);
      expect(await iteration(page)).toBe(0);
      errors.length = 0;
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(1);

      await page.locator('[data-tab=settings]').click();
      const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
      const csvText = readFileSync((await csv.path()) as string, 'utf8').split('\n');
      expect(csvText[0]).toMatch(/^iteration,backend,reward\.total,/);
      expect(csvText[1]).toMatch(/^1,wasm,/);
      const downloads: string[] = [];
      page.on('download', async (d) => {
        const to = join(dir, `exported-${d.suggestedFilename()}`);
        await d.saveAs(to);
        downloads.push(to);
      });
      await page.getByTestId('export-checkpoint').click();
      await expect.poll(() => downloads.length, { timeout: 20_000 }).toBe(2);
      expect(JSON.parse(readFileSync(downloads.find((f) => f.endsWith('manifest.json'))!, 'utf8')).format).toBe('asp-checkpoint');
      await page.getByTestId('import').setInputFiles(downloads);
      await expect.poll(() => iteration(page)).toBe(0);
      await waitStatus(page, ['ready']);
      expect(await page.locator('[data-testid=import-error]').count()).toBe(0);
      expect(await iteration(page)).toBe(0);
      await page.getByTestId('import').setInputFiles([downloads.find((f) => f.endsWith('weights.bin'))!]);
      expect(await page.getByTestId('import-error').textContent()).toContain('pick both');
      expect(errors).toEqual([]);

      // Hidden, then put back: the service worker test later precaches every file the build listed.
      const base = join(dir, 'checkpoints', 'base');
      renameSync(base, `${base}-hidden`);
      try {
        const other = await openPage(browser);
        await other.page.goto(`${server.url}?${small}`);
        await waitStatus(other.page, ['needs-base']);
        expect(await other.page.getByTestId('status').textContent()).toMatch(/base checkpoint could not be loaded.*HTTP 404.*pretrain from scratch/);
        expect(await other.page.getByTestId('pretrain').isEnabled()).toBe(true);
      } finally {
        renameSync(`${base}-hidden`, base);
      }
    });
  }, 120_000);

  it('A/B: two rewards from the same weights and seed, curves and matrices side by side', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      await page.goto(`${server.url}?${TINY}`);
      await pretrain(page);
      await page.locator('[data-tab=reward]').click();
      await page.getByTestId('ab-kind').selectOption('shaped');
      await page.getByTestId('ab-iterations').fill('2');
      await page.getByTestId('run-ab').click();
      await waitStatus(page, ['ready'], 60_000);
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
      for (const id of ['ab-accuracy', 'ab-attack', 'ab-overrefusal']) expect(await points(page, id), id).toBe(2);
      expect(await page.locator('[data-chart=ab-accuracy] .u-legend').textContent()).toMatch(/A paper.*B shaped/);
      expect(await page.locator('[data-heatmap=user-a]').count()).toBe(1);
      expect(await page.locator('[data-heatmap=user-b]').count()).toBe(1);
      // The main run did not move.
      expect(await iteration(page)).toBe(0);
      expect(errors).toEqual([]);
    });
  }, 120_000);

  it('works offline once loaded: the service worker keeps the build, so a reload without network still trains', async () => {
    await withBrowser(false, async (browser) => {
      const { context, page, errors } = await openPage(browser, { serviceWorkers: true });
      await page.goto(`${server.url}?${TINY}`);
      await waitStatus(page, ['needs-base']);
      // Installed, controlling the page, and holding the build (index.html and the wasm binaries).
      await expect
        .poll(
          () =>
            page.evaluate(async () => {
              const kept = (await (await caches.open('asp-v1')).keys()).map((r) => r.url);
              return navigator.serviceWorker.controller !== null && kept.some((u) => u.endsWith('index.html')) && kept.some((u) => u.endsWith('.wasm'));
            }),
          { timeout: 60_000 },
        )
        .toBe(true);
      await context.setOffline(true);
      await page.reload();
      await pretrain(page);
      await page.getByTestId('step').click();
      await waitStatus(page, ['ready']);
      expect(await iteration(page)).toBe(1);
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
      expect(errors).toEqual([]);
    });
  }, 120_000);

  it('Benchmarks: a sample of a public suite scored on the current policy, every category represented', async () => {
    await withBrowser(false, async (browser) => {
      const { page, errors } = await openPage(browser);
      await page.goto(`${server.url}?${TINY}`);
      await pretrain(page);
      await page.locator('[data-tab=benchmarks]').click();
      await page.getByTestId('suite').selectOption('injecagent');
      await page.getByTestId('limit').fill('14');
      await page.getByTestId('evaluate').click();
      await page.getByTestId('benchmark-report').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('benchmark-summary').textContent()).toMatch(/^14 of 3230 cases/);
      // Seven categories, two cases each.
      expect(await page.locator('h3:has-text("per category") + table tr').count()).toBe(7);
      expect(await page.locator('[data-testid=benchmark-error]').count()).toBe(0);
      expect(errors).toEqual([]);
    });
  }, 120_000);
});
