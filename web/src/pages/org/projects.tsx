/** An organization's home (/org/:slug): its projects as cards, each with its live status, and "New project". */
import { A } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { createLiveQuery } from '../../graphql/live.ts';
import { canManage, useOrganization } from '../../layout/organization.tsx';
import type { Project, ProjectStatus } from '../../layout/project.tsx';
import { Button } from '../../ui/button.tsx';
import { Badge, formatDate, PageHeader } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { stepSummary } from '../project/common/steps.tsx';
import { NewProjectDialog } from './projects/new-project.tsx';
import './projects/projects.css';

const PROJECTS = `query OrganizationProjects($organizationId: UUID!) {
  projects(condition: { organizationId: $organizationId }, first: 200) {
    totalCount
    nodes { id ref name status statusReason steps createdAt }
  }
}`;

interface ProjectSummary {
  id: string;
  ref: string;
  name: string;
  status: ProjectStatus;
  statusReason: string | null;
  steps: Project['steps'];
  createdAt: string;
}

interface ProjectsData {
  projects: { totalCount: number; nodes: ProjectSummary[] } | null;
}

const NO_RIGHT_ID = 'new-project-why-not';

export function Projects() {
  const { organization, role } = useOrganization();
  const [open, setOpen] = createSignal(false);
  const [result, refetch] = createLiveQuery<ProjectsData>({
    query: PROJECTS,
    variables: () => ({ organizationId: organization().id }),
  });
  // Deleted projects stay as tombstones for the audit log; they are not projects any more.
  const projects = (data: ProjectsData) =>
    (data.projects?.nodes ?? []).filter((p) => p.status !== 'deleted').sort((a, b) => a.name.localeCompare(b.name));
  const mayCreate = () => canManage(role()) && !organization().deletingAt;
  const whyNot = () =>
    organization().deletingAt ? 'The organization is being deleted.' : 'Only owners and administrators can create projects.';

  const isEmpty = () => !!result.data && projects(result.data).length === 0;
  const newProject = () => (
    <Button variant="primary" onClick={() => setOpen(true)} disabled={!mayCreate()} aria-describedby={mayCreate() ? undefined : NO_RIGHT_ID}>
      New project
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Projects"
        description={`${organization().plan.name} plan: up to ${organization().plan.maxProjects} projects.`}
      >
        {/* When there are none, the empty state offers it instead: one "New project" on the page. */}
        <Show when={!isEmpty()}>{newProject()}</Show>
      </PageHeader>
      <Show when={!mayCreate()}>
        <p class="muted" id={NO_RIGHT_ID} style={{ 'margin-top': '-16px', 'margin-bottom': '16px' }}>{whyNot()}</p>
      </Show>
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => projects(data).length === 0}
        whenEmpty={
          <Empty title="No projects yet">
            <p class="muted">A project is a database with its APIs, auth and storage. Create one to start building.</p>
            {newProject()}
          </Empty>
        }
      >
        {(data) => (
          <>
            <ul class="grid project-cards" aria-label="Projects">
              <For each={projects(data())}>{(project) => <ProjectCard project={project} />}</For>
            </ul>
            <Show when={(data().projects?.totalCount ?? 0) > 200}>
              <p class="muted" style={{ 'margin-top': '12px' }}>The first 200 projects (with deleted ones) are shown.</p>
            </Show>
          </>
        )}
      </QueryState>
      <NewProjectDialog open={open()} organizationId={organization().id} onClose={() => setOpen(false)} />
    </>
  );
}

function ProjectCard(props: { project: ProjectSummary }) {
  return (
    <li>
      <A class="card project-card" href={`/project/${props.project.ref}`}>
        <span class="project-card-title">
          <strong>{props.project.name}</strong>
          <Badge status={props.project.status} />
        </span>
        <code class="muted">{props.project.ref}</code>
        <Show when={props.project.status === 'provisioning'}>
          <span class="project-card-progress">{stepSummary(props.project.steps)}</span>
        </Show>
        <Show when={props.project.status === 'failed' && props.project.statusReason}>
          <span class="project-card-reason">{props.project.statusReason}</span>
        </Show>
        <span class="muted">Created {formatDate(props.project.createdAt)}</span>
      </A>
    </li>
  );
}
