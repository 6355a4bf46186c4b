/** Where a project is in its life: the status in words, provisioning steps ticking by, and Retry when it failed. */
import { createMutation } from '@urql/solid';
import { createSignal, Match, Show, Switch } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import { canManage } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { FormError } from '../../../ui/field.tsx';
import { Badge, Section } from '../../../ui/misc.tsx';
import { BUSY } from '../../../layout/project.tsx';
import { StepList } from '../common/steps.tsx';

const RETRY = `mutation RetryProject($projectId: UUID!) { retryProject(input: { projectId: $projectId }) { result { id status } } }`;

const SAYS: Record<string, string> = {
  provisioning: 'Setting up the project: its database, roles, schemas, keys and storage.',
  active: 'The project is running: its APIs answer requests.',
  failed: 'Setting up the project failed.',
  pausing: 'Pausing: its APIs stop answering and its database roles are locked.',
  paused: 'Paused: its APIs answer 503 until it is resumed. Its data is kept.',
  resuming: 'Resuming: its APIs answer again in a moment.',
  deleting: 'Deleting the project and everything in it.',
  deleted: 'This project was deleted.',
};

export function StatusSection() {
  const { project, role } = useProject();
  const [retrying, retry] = createMutation(RETRY);
  const [error, setError] = createSignal<string>();
  const onRetry = async () => {
    setError(undefined);
    const result = await retry({ projectId: project().id });
    if (result.error) return setError(errorMessage(result.error));
    refreshLiveQueries();
  };
  const busy = () => BUSY.includes(project().status);
  return (
    <Section title="Status">
      <p class="row" role="status" aria-live="polite">
        <Badge status={project().status} />
        <Show when={busy()}>
          <span class="spinner" aria-hidden="true" />
        </Show>
        <span>{SAYS[project().status]}</span>
      </p>
      <Switch>
        <Match when={project().status === 'provisioning'}>
          <div style={{ 'margin-top': '12px' }}>
            <StepList steps={project().steps} running />
          </div>
        </Match>
        <Match when={project().status === 'failed'}>
          <p class="notice notice-bad" style={{ 'margin-top': '12px' }}>
            {project().statusReason ?? 'No reason was recorded.'}
          </p>
          <StepList steps={project().steps} running={false} />
          <div class="row" style={{ 'margin-top': '12px' }}>
            <Button variant="primary" onClick={onRetry} pending={retrying.fetching} disabled={!canManage(role())}>
              Retry
            </Button>
            <Show when={!canManage(role())}>
              <span class="muted">Only owners and administrators can retry it.</span>
            </Show>
          </div>
          <FormError message={error()} />
        </Match>
      </Switch>
    </Section>
  );
}
