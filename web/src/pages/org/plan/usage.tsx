/** Each project's stored bytes against the plan's per-project storage limit (read from the project; active ones only). */
import { For, Show } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { createLiveQuery } from '../../../graphql/live.ts';
import type { ProjectStatus } from '../../../layout/project.tsx';
import { Badge, formatBytes } from '../../../ui/misc.tsx';
import { Empty } from '../../../ui/states.tsx';

export interface UsageProject {
  id: string;
  ref: string;
  name: string;
  status: ProjectStatus;
}

export function ProjectUsage(props: { projects: UsageProject[]; storageLimit: string | null }) {
  return (
    <Show when={props.projects.length > 0} fallback={<Empty title="No projects yet">Usage appears here once the organization has a project.</Empty>}>
      <div class="table-wrap fit-width">
        <table class="table">
          <caption class="visually-hidden">Usage by project</caption>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Status</th>
              <th scope="col">Storage</th>
              <th scope="col">Objects</th>
            </tr>
          </thead>
          <tbody>
            <For each={props.projects}>{(project) => <UsageRow project={project} storageLimit={props.storageLimit} />}</For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}

const USAGE = `query ProjectStorageUsage($projectId: UUID!) { projectStorageUsage(projectId: $projectId) { objects bytes } }`;

function UsageRow(props: { project: UsageProject; storageLimit: string | null }) {
  const [usage] = createLiveQuery<{ projectStorageUsage: { objects: number; bytes: number } | null }>({
    query: USAGE,
    variables: () => ({ projectId: props.project.id }),
    // Only an active project's storage can be read; the others would answer NOT_READY.
    pause: () => props.project.status !== 'active',
  });
  const bytes = () => usage.data?.projectStorageUsage?.bytes;
  const limit = () => (props.storageLimit === null ? 'unlimited' : formatBytes(props.storageLimit));
  return (
    <tr>
      <td>
        <a href={`/project/${props.project.ref}`}>{props.project.name}</a>
      </td>
      <td>
        <Badge status={props.project.status} />
      </td>
      <td>
        <Show when={props.project.status === 'active'} fallback={<span class="muted">—</span>}>
          <Show
            when={bytes() !== undefined}
            fallback={
              <Show when={usage.error} fallback={<span class="muted">Loading…</span>}>
                <span class="field-error">{errorMessage(usage.error)}</span>
              </Show>
            }
          >
            {formatBytes(bytes()!)} <span class="muted">of {limit()}</span>
          </Show>
        </Show>
      </td>
      <td>{usage.data?.projectStorageUsage?.objects.toLocaleString() ?? '—'}</td>
    </tr>
  );
}
