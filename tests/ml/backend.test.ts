import * as tf from '@tensorflow/tfjs';
import { expect, test } from 'vitest';
import { chooseBackend } from '../../src/ml/backend';

async function matmulMs(): Promise<number> {
  const [a, b] = [tf.randomNormal([256, 256]), tf.randomNormal([256, 256])];
  const warm = tf.matMul(a, b);
  await warm.data();
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  tf.dispose([a, b, warm]);
  return (performance.now() - t0) / 10;
}

test('Node picks wasm, honours an override and falls back past backends that do not start', async () => {
  const auto = await chooseBackend();
  // Node's wasm backend has no threads (tfjs loads its threaded build only in browsers).
  expect(auto).toEqual({ backend: 'wasm', threads: 1, failed: [] });
  expect(tf.getBackend()).toBe('wasm');
  const wasmMs = await matmulMs();

  expect((await chooseBackend({ prefer: 'cpu' })).backend).toBe('cpu');
  expect(tf.getBackend()).toBe('cpu');
  const cpuMs = await matmulMs();
  console.log(`256x256 matmul: wasm ${wasmMs.toFixed(2)} ms, cpu ${cpuMs.toFixed(2)} ms`);

  const fallback = await chooseBackend({ prefer: 'webgpu' });
  expect(fallback.backend).toBe('wasm');
  expect(fallback.failed.map((f) => f.backend)).toEqual(['webgpu']);
  expect(fallback.failed[0]?.reason).toMatch(/webgpu/);
});
