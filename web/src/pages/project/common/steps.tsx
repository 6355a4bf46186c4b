/**
 * A project's provisioning steps, in the worker's order (worker/src/tasks/project__provision.ts), and how far it got:
 * `projects.steps` holds the steps done, each with when, as the worker writes them.
 */
import { For, Show } from 'solid-js';
import type { Project } from '../../../layout/project.tsx';
import { formatDate } from '../../../ui/misc.tsx';

export const PROVISIONING_STEPS = [
  { id: 'database', label: 'Database' },
  { id: 'roles', label: 'Roles' },
  { id: 'schema', label: 'Schemas' },
  { id: 'keys', label: 'API keys' },
  { id: 'storage', label: 'Storage' },
] as const;

/** When each step was done. */
export function stepsDone(steps: Project['steps']): Map<string, string> {
  return new Map(steps.map(({ step, at }) => [step, at]));
}

/** "Step 3 of 5: Schemas", for a card. */
export function stepSummary(steps: Project['steps']): string {
  const done = stepsDone(steps);
  const next = PROVISIONING_STEPS.findIndex((step) => !done.has(step.id));
  if (next === -1) return 'Finishing…';
  return `Step ${next + 1} of ${PROVISIONING_STEPS.length}: ${PROVISIONING_STEPS[next]!.label}`;
}

/** Every step, done (with its time), under way, or waiting; `running` false shows no step as under way. */
export function StepList(props: { steps: Project['steps']; running: boolean }) {
  const done = () => stepsDone(props.steps);
  const current = () => (props.running ? PROVISIONING_STEPS.find((step) => !done().has(step.id))?.id : undefined);
  return (
    <ol class="steps" aria-label="Provisioning steps">
      <For each={PROVISIONING_STEPS}>
        {(step) => (
          <li
            class="step"
            classList={{ 'step-done': done().has(step.id), 'step-current': current() === step.id }}
            aria-current={current() === step.id ? 'step' : undefined}
          >
            <span class="step-mark" aria-hidden="true">
              <Show when={done().has(step.id)} fallback={current() === step.id ? <span class="spinner" /> : '○'}>
                ✓
              </Show>
            </span>
            <span class="step-label">{step.label}</span>
            <span class="muted step-state">
              <Show when={done().has(step.id)} fallback={current() === step.id ? 'in progress' : 'waiting'}>
                done {formatTime(done().get(step.id))}
              </Show>
            </span>
          </li>
        )}
      </For>
    </ol>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const formatTime = (at: string | undefined) => (at ? timeFormat.format(new Date(at)) : formatDate(at));
