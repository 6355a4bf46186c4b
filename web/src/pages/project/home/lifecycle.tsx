/** Pausing, resuming and deleting a project (owners and administrators); each is a job, its progress the status. */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal, Match, Show, Switch } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import { canManage } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { FormError } from '../../../ui/field.tsx';
import { Section } from '../../../ui/misc.tsx';

const PAUSE = `mutation PauseProject($projectId: UUID!) { pauseProject(input: { projectId: $projectId }) { result { id status } } }`;
const RESUME = `mutation ResumeProject($projectId: UUID!) { resumeProject(input: { projectId: $projectId }) { result { id status } } }`;
const DELETE = `mutation DeleteProject($projectId: UUID!) { deleteProject(input: { projectId: $projectId }) { result { id status } } }`;

export function LifecycleSection() {
  const { project, role } = useProject();
  const navigate = useNavigate();
  const [, pause] = createMutation(PAUSE);
  const [resuming, resume] = createMutation(RESUME);
  const [, remove] = createMutation(DELETE);
  const [confirm, setConfirm] = createSignal<'pause' | 'delete'>();
  const [resumeError, setResumeError] = createSignal<string>();
  const status = () => project().status;
  const manager = () => canManage(role());

  const onPause = async () => {
    const result = await pause({ projectId: project().id });
    if (result.error) return errorMessage(result.error);
    refreshLiveQueries();
    return undefined;
  };
  const onResume = async () => {
    setResumeError(undefined);
    const result = await resume({ projectId: project().id });
    if (result.error) return setResumeError(errorMessage(result.error));
    refreshLiveQueries();
  };
  const onDelete = async () => {
    const result = await remove({ projectId: project().id });
    if (result.error) return errorMessage(result.error);
    const slug = project().organization.slug;
    refreshLiveQueries();
    navigate(`/org/${slug}`);
    return undefined;
  };

  return (
    <Section title="Pause or delete">
      <Show when={!manager()}>
        <p class="muted" style={{ 'margin-bottom': '12px' }}>Only owners and administrators can pause, resume or delete a project.</p>
      </Show>
      <div class="danger-row">
        <div>
          <Show
            when={status() === 'paused' || status() === 'resuming'}
            fallback={
              <>
                <strong>Pause the project</strong>
                <p class="muted">Paused, its APIs answer 503 and its database roles cannot log in. Its data and keys are kept.</p>
              </>
            }
          >
            <strong>Resume the project</strong>
            <p class="muted">Its APIs answer again and its database roles can log in, with the same keys.</p>
          </Show>
        </div>
        <Switch>
          <Match when={status() === 'pausing'}>
            <Button pending>Pausing…</Button>
          </Match>
          <Match when={status() === 'resuming'}>
            <Button pending>Resuming…</Button>
          </Match>
          <Match when={status() === 'paused'}>
            <Button variant="primary" onClick={onResume} pending={resuming.fetching} disabled={!manager()}>
              Resume project
            </Button>
          </Match>
          <Match when={true}>
            <Button onClick={() => setConfirm('pause')} disabled={!manager() || status() !== 'active'}>
              Pause project
            </Button>
          </Match>
        </Switch>
      </div>
      <FormError message={resumeError()} />
      <div class="danger-row" style={{ 'border-top': '1px solid var(--line)' }}>
        <div>
          <strong>Delete the project</strong>
          <p class="muted">Removes its database schemas, roles, keys, auth users and stored files. This cannot be undone.</p>
        </div>
        <Show when={status() !== 'deleting'} fallback={<Button pending variant="danger">Deleting…</Button>}>
          <Button
            variant="danger"
            onClick={() => setConfirm('delete')}
            disabled={!manager() || !['active', 'paused', 'failed'].includes(status())}
          >
            Delete project
          </Button>
        </Show>
      </div>
      <ConfirmDialog
        open={confirm() === 'pause'}
        title="Pause the project?"
        action="Pause project"
        onConfirm={onPause}
        onClose={() => setConfirm(undefined)}
      >
        <p>Its APIs stop answering (503) and its database roles cannot log in until it is resumed. Nothing is deleted.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm() === 'delete'}
        title="Delete the project?"
        action="Delete project"
        typeToConfirm={project().name}
        onConfirm={onDelete}
        onClose={() => setConfirm(undefined)}
      >
        <p>
          <strong>{project().name}</strong> and everything in it — tables, auth users, stored files, keys — is deleted for
          good.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
