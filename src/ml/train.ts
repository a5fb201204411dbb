// The one training loop: cold start, then GRPO, one step per yielded event. The CLI, the release script and the page
// drive it; each decides what to log, when to save a checkpoint and when to stop (stopping is simply not asking for
// the next step, so a run always stops at a step boundary and resumes from its saved progress).
import type { IterationMetrics } from './grpo';
import type { SftProgress, TrainingRun } from './run';

export type TrainEvent =
  | { kind: 'sft'; progress: SftProgress }
  /** The cold start is done and the policy is the base: save it now; GRPO starts at the next step. */
  | { kind: 'base' }
  | { kind: 'grpo'; metrics: IterationMetrics };

export async function* trainSteps(run: TrainingRun): AsyncGenerator<TrainEvent, void, void> {
  const { sft, grpo } = run.config;
  while (run.sftStepsDone < sft.steps) yield { kind: 'sft', progress: await run.sftStep() };
  if (grpo.iterations > run.grpoIterationsDone && run.reference === null) {
    yield { kind: 'base' };
    run.startGrpo();
  }
  while (run.grpoIterationsDone < grpo.iterations) yield { kind: 'grpo', metrics: await run.grpoStep() };
}
