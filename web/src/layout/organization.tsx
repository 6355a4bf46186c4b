/** Pages of one organization (/org/:slug/…): loads it, follows its changes live, and gives it to the pages. */
import { useParams, type RouteSectionProps } from '@solidjs/router';
import { createContext, useContext, type Accessor } from 'solid-js';
import { createLiveQuery, followOrganization } from '../graphql/live.ts';
import { useSession } from '../session.tsx';
import { Empty, QueryState } from '../ui/states.tsx';
import { Shell } from './shell.tsx';

export type Role = 'owner' | 'administrator' | 'developer' | 'read_only';

export interface Organization {
  id: string;
  ref: string;
  slug: string;
  name: string;
  deletingAt: string | null;
  plan: {
    id: string;
    name: string;
    maxProjects: number;
    maxDatabaseBytes: string | null;
    maxStorageBytes: string | null;
    apiRequestsPerSecond: number | null;
  };
}

const ORGANIZATION = `query Organization($slug: String!) {
  organizationBySlug(slug: $slug) {
    id ref slug name deletingAt
    plan { id name maxProjects maxDatabaseBytes maxStorageBytes apiRequestsPerSecond }
  }
}`;

interface OrganizationScope {
  organization: Accessor<Organization>;
  /** The signed-in user's role here; null for a platform admin who is not a member. */
  role: Accessor<Role | null>;
}

const OrganizationContext = createContext<OrganizationScope>();

export function useOrganization(): OrganizationScope {
  const scope = useContext(OrganizationContext);
  if (!scope) throw new Error('useOrganization outside an organization page');
  return scope;
}

/** Owners and administrators manage members, settings and projects. */
export const canManage = (role: Role | null) => role === 'owner' || role === 'administrator';
/** …and developers also change a project's data and see its secrets. */
export const canWrite = (role: Role | null) => canManage(role) || role === 'developer';

export function useRole(organizationSlug: Accessor<string | undefined>): Accessor<Role | null> {
  const session = useSession();
  return () =>
    (session.user()?.organizationMemberships.nodes.find((m) => m.organization.slug === organizationSlug())?.role as Role) ?? null;
}

export function OrganizationLayout(props: RouteSectionProps) {
  const params = useParams();
  const [result, refetch] = createLiveQuery<{ organizationBySlug: Organization | null }>({
    query: ORGANIZATION,
    variables: () => ({ slug: params.slug }),
  });
  followOrganization(() => result.data?.organizationBySlug?.id);
  const role = useRole(() => params.slug);
  const base = () => `/org/${params.slug}`;
  return (
    <Shell
      organization={params.slug}
      title={result.data?.organizationBySlug?.name ?? 'Organization'}
      links={[
        { href: base(), label: 'Projects', end: true },
        { href: `${base()}/members`, label: 'Members' },
        { href: `${base()}/audit`, label: 'Audit log' },
        { href: `${base()}/plan`, label: 'Plan and limits' },
        { href: `${base()}/settings`, label: 'Settings' },
      ]}
    >
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => !data.organizationBySlug}
        whenEmpty={<Empty title="No such organization">It does not exist, or you are not a member.</Empty>}
      >
        {(data) => (
          <OrganizationContext.Provider value={{ organization: () => data().organizationBySlug!, role }}>
            {props.children}
          </OrganizationContext.Provider>
        )}
      </QueryState>
    </Shell>
  );
}
