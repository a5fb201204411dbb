// Adam's state (its step count and each parameter's two moments) as named arrays, saved with a resumable checkpoint:
// without it every resume restarted the moments at zero, and the first steps after a resume moved each weight by a
// full learning rate whatever its gradient's noise, so a run resumed across sessions was not the run made in one go.
import * as tf from '@tensorflow/tfjs';
import { parameterSpecs, type LmConfig, type NamedWeight } from './model';

const STEP = 'adam/step';

/** What tf.Optimizer's getWeights and setWeights trade in (tf.js does not export the type). */
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

/**
 * The optimizer's state keyed by the model's parameter names ('adam/step', 'adam/m/<name>', 'adam/v/<name>'); empty
 * before its first update. tf.js keys the moments by variable names that differ between processes, but matches
 * them to gradients by position, so the model's parameter order is the key that survives a reload.
 */
export async function adamState(optimizer: tf.Optimizer, config: LmConfig): Promise<NamedWeight[]> {
  const weights = await optimizer.getWeights();
  const moments = weights.slice(1);
  if (moments.length === 0) return [];
  const specs = parameterSpecs(config);
  if (moments.length !== 2 * specs.length) throw new Error(`optimizer: ${moments.length} moments for ${specs.length} parameters`);
  const step = (await (weights[0] as NamedTensor).tensor.data())[0] as number;
  const out: NamedWeight[] = [{ name: STEP, shape: [], values: Float32Array.of(step) }];
  for (const [k, kind] of ['m', 'v'].entries()) {
    for (const [i, spec] of specs.entries()) {
      const t = (moments[k * specs.length + i] as NamedTensor).tensor;
      out.push({ name: `adam/${kind}/${spec.name}`, shape: t.shape, values: (await t.data()) as Float32Array });
    }
  }
  return out;
}

/** Sets the optimizer to a state from adamState; one that does not fit the model is refused, naming what is wrong. */
export async function restoreAdam(optimizer: tf.Optimizer, state: readonly NamedWeight[], config: LmConfig): Promise<void> {
  if (state.length === 0) return;
  const byName = new Map(state.map((w) => [w.name, w]));
  const step = byName.get(STEP)?.values[0];
  if (step === undefined || !Number.isInteger(step) || step < 0) throw new Error(`optimizer state: ${STEP} is missing or not a step count`);
  const specs = parameterSpecs(config);
  if (state.length !== 1 + 2 * specs.length) throw new Error(`optimizer state: ${state.length} entries, the model needs ${1 + 2 * specs.length}`);
  const named: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(step, 'int32') }];
  for (const kind of ['m', 'v']) {
    for (const spec of specs) {
      const w = byName.get(`adam/${kind}/${spec.name}`);
      if (!w) throw new Error(`optimizer state: adam/${kind}/${spec.name} is missing`);
      if (w.shape.join(',') !== spec.shape.join(',')) throw new Error(`optimizer state: adam/${kind}/${spec.name} has shape [${w.shape}], the model needs [${spec.shape}]`);
      if (!w.values.every(Number.isFinite)) throw new Error(`optimizer state: adam/${kind}/${spec.name} holds a value that is not finite`);
      named.push({ name: `${spec.name}/${kind}`, tensor: tf.tensor(w.values, spec.shape, 'float32') });
    }
  }
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}
