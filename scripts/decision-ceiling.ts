// `npm run ceiling`: how far the model and the training phrasings go when the decisions are given instead of learned.
// The published base is fine-tuned on the oracle's transcripts (the label-aware ideal: never the recipe, whose cold
// start is class-blind and leaves every safety decision to GRPO), then evaluated greedily on the train split (the
// phrasings it was taught, in fresh worlds) and on the dev split (held-out phrasings). What dev lacks against train is
// out of reach of any reward or RL setting on this data: the model cannot tell what words it never saw mean. A change
// of the training phrasings is judged here in about twenty minutes on 2 cores, before a two-hour cold start (a change
// of the model needs its own base first). The loss counts the assistant's chosen tokens only (contextWeight 0).
import * as tf from '@tensorflow/tfjs';
import { intFlag, numberFlag, parseFlags } from '../src/cli/args';
import { DEFAULT_RUN_CONFIG } from '../src/core/config';
import { errorMessage } from '../src/core/errors';
import { oracle } from '../src/core/policies';
import { getPreset } from '../src/core/reward';
import type { Split } from '../src/core/types';
import { chooseBackend } from '../src/ml/backend';
import { loadCheckpointDir } from '../src/ml/checkpoint-node';
import { evaluateEpisodes } from '../src/ml/evaluate';
import { encodeTranscripts, playedTranscripts } from '../src/ml/run';
import { sftStep } from '../src/ml/sft';

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(0)}%`);

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    from: { type: 'string', default: 'public/checkpoints/base' },
    steps: { type: 'string', default: '300' },
    'learning-rate': { type: 'string', default: '3e-4' },
    'eval-n': { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
  });
  const steps = intFlag('steps', flags.steps, 1);
  const n = intFlag('eval-n', flags['eval-n'], 1);
  const seed = intFlag('seed', flags.seed);
  const config = DEFAULT_RUN_CONFIG;
  await chooseBackend({ prefer: 'wasm' });
  const { model, tokenizer } = await loadCheckpointDir(String(flags.from), { trainable: true });
  const optimizer = tf.train.adam(numberFlag('learning-rate', flags['learning-rate'], 1e-6, 1));
  const policy = oracle('paper');
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    const transcripts = await playedTranscripts(policy, config, seed * 1_000_003 + step, config.sft.batchSize);
    const loss = await sftStep(model, optimizer, encodeTranscripts(tokenizer, config, model.config.contextLength, transcripts), config.sft.maxGradNorm);
    if ((step + 1) % 50 === 0) console.log(`step ${step + 1}/${steps}: loss ${loss.toFixed(3)}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  console.log(`${steps} steps of ${config.sft.batchSize} oracle transcripts from ${flags.from}; greedy, constrained, ${n} episodes a split:`);
  console.log('split | user benign / malicious / sensitive | tool output benign / malicious / sensitive | benign tasks done');
  for (const split of ['train', 'dev'] as Split[]) {
    const { metrics: m } = await evaluateEpisodes(model, tokenizer, { split, n, seed: 20250710, pYes: 0.5, maxTurns: 5, maxNewTokens: config.grpo.maxNewTokens, decoding: 'constrained', preset: getPreset('paper') });
    const { user, tool } = m.accuracy;
    console.log(`${split} | ${[user.benign, user.malicious, user.sensitive].map(pct).join(' / ')} | ${[tool.benign, tool.malicious, tool.sensitive].map(pct).join(' / ')} | ${pct(m.taskSuccessRate)}`);
  }
  model.dispose();
}

main().catch((e: unknown) => {
  console.error(`ceiling: ${errorMessage(e)}`);
  process.exit(1);
});
