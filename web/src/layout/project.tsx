/** Pages of one project (/project/:ref/…): loads it with its organization, follows changes live, gives it to pages. */
import { useParams, type RouteSectionProps } from '@solidjs/router';
import { createContext, Show, useContext, type Accessor } from 'solid-js';
import { createLiveQuery, followOrganization } from '../graphql/live.ts';
import { Badge } from '../ui/misc.tsx';
import { Empty, QueryState } from '../ui/states.tsx';
import { useRole, type Role } from './organization.tsx';
import { Shell } from './shell.tsx';

export type ProjectStatus = 'provisioning' | 'active' | 'failed' | 'pausing' | 'paused' | 'resuming' | 'deleting' | 'deleted';

export interface Project {
  id: string;
  ref: string;
  name: string;
  status: ProjectStatus;
  statusReason: string | null;
  /** Provisioning steps done, in order, each with when. */
  steps: { step: string; at: string }[];
  createdAt: string;
  organization: { id: string; slug: string; name: string };
}

/** The statuses in which a job is working on the project. */
export const BUSY: ProjectStatus[] = ['provisioning', 'pausing', 'resuming', 'deleting'];

export const PROJECT_FIELDS = `id ref name status statusReason steps createdAt organization { id slug name }`;

const PROJECT = `query Project($ref: String!) { projectByRef(ref: $ref) { ${PROJECT_FIELDS} } }`;

interface ProjectScope {
  project: Accessor<Project>;
  role: Accessor<Role | null>;
}

const ProjectContext = createContext<ProjectScope>();

export function useProject(): ProjectScope {
  const scope = useContext(ProjectContext);
  if (!scope) throw new Error('useProject outside a project page');
  return scope;
}

export function ProjectLayout(props: RouteSectionProps) {
  const params = useParams();
  const [result, refetch] = createLiveQuery<{ projectByRef: Project | null }>({
    query: PROJECT,
    variables: () => ({ ref: params.ref }),
  });
  const project = () => result.data?.projectByRef ?? undefined;
  followOrganization(() => project()?.organization.id);
  const role = useRole(() => project()?.organization.slug);
  const base = () => `/project/${params.ref}`;
  return (
    <Shell
      organization={project()?.organization.slug}
      title={project()?.name ?? 'Project'}
      context={
        <Show when={project()}>
          {(p) => (
            <div class="stack" style={{ gap: '4px' }}>
              <a href={`/org/${p().organization.slug}`} class="muted">← {p().organization.name}</a>
              <div class="row">
                <strong>{p().name}</strong> <Badge status={p().status} />
              </div>
            </div>
          )}
        </Show>
      }
      links={[
        { href: base(), label: 'Home', end: true },
        { href: `${base()}/tables`, label: 'Table editor' },
        { href: `${base()}/sql`, label: 'SQL editor' },
        { href: `${base()}/auth`, label: 'Authentication' },
        { href: `${base()}/storage`, label: 'Storage' },
        { href: `${base()}/api`, label: 'API' },
      ]}
    >
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => !data.projectByRef}
        whenEmpty={<Empty title="No such project">It does not exist, or you are not a member of its organization.</Empty>}
      >
        {(data) => (
          <ProjectContext.Provider value={{ project: () => data().projectByRef!, role }}>{props.children}</ProjectContext.Provider>
        )}
      </QueryState>
    </Shell>
  );
}
