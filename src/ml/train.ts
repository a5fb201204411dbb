// The one training loop: cold start, then GRPO. `trainStep` takes a run one step further; `trainSteps` is the loop
// the CLI and the release script iterate, and the page's trainer worker calls `trainStep` once per click or iteration.
// Each caller decides what to log, when to save a checkpoint and when to stop (stopping is simply not asking for the
// next step, so a run always stops at a step boundary and resumes from its saved progress).
import type { GrpoHooks, IterationMetrics } from './grpo';
import type { SftProgress, TrainingRun } from './run';

export type TrainEvent =
  | { kind: 'sft'; progress: SftProgress }
  /** The cold start is done and the policy is now the frozen base of GRPO: save it as the base checkpoint. */
  | { kind: 'base' }
  | { kind: 'grpo'; metrics: IterationMetrics };

/** The run's next step: cold-start steps until the config's are done, then the base (once), then GRPO iterations. */
export async function trainStep(run: TrainingRun, hooks: GrpoHooks = {}): Promise<TrainEvent> {
  if (run.reference !== null) return { kind: 'grpo', metrics: await run.grpoStep(hooks) };
  if (run.sftStepsDone < run.config.sft.steps) return { kind: 'sft', progress: await run.sftStep() };
  run.startGrpo();
  return { kind: 'base' };
}

/** The whole recipe: every step up to the config's GRPO iterations. */
export async function* trainSteps(run: TrainingRun): AsyncGenerator<TrainEvent, void, void> {
  const { sft, grpo } = run.config;
  // Before GRPO: cold-start steps, then the base step only if GRPO iterations follow; in GRPO: up to its iterations.
  while (run.reference === null ? run.sftStepsDone < sft.steps || grpo.iterations > 0 : run.grpoIterationsDone < grpo.iterations) {
    yield await trainStep(run);
  }
}
