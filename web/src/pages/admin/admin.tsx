/**
 * Platform admin (/admin/*section): what the people who run Canopy look after across every tenant. Organizations,
 * projects and users come through the ordinary queries (RLS shows platform admins everything); the worker queue and
 * the clusters through the platform-only fields. Anyone else gets an explanation (the API would refuse them anyway).
 */
import { useParams } from '@solidjs/router';
import { Match, Show, Switch } from 'solid-js';
import { Shell } from '../../layout/shell.tsx';
import { useSession } from '../../session.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { Empty } from '../../ui/states.tsx';
import { AdminClusters } from './clusters.tsx';
import { AdminJobs } from './jobs.tsx';
import { AdminOrganizations } from './organizations.tsx';
import { AdminProjects } from './projects.tsx';
import { AdminUsers } from './users.tsx';
import './admin.css';

const LINKS = [
  { href: '/admin', label: 'Organizations', end: true },
  { href: '/admin/projects', label: 'Projects' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/jobs', label: 'Jobs' },
  { href: '/admin/clusters', label: 'Clusters' },
];

export function PlatformAdmin() {
  const session = useSession();
  const params = useParams<{ section?: string }>();
  const section = () => (params.section ?? '').replace(/\/+$/, '');
  return (
    <Shell title="Platform admin" links={session.user()?.isPlatformAdmin ? LINKS : undefined}>
      <div class="admin">
        <Show when={session.user()?.isPlatformAdmin} fallback={<NotAnAdmin />}>
          <Switch fallback={<Empty title="No such page">Choose a section of platform admin in the menu.</Empty>}>
            <Match when={section() === ''}>
              <AdminOrganizations />
            </Match>
            <Match when={section() === 'projects'}>
              <AdminProjects />
            </Match>
            <Match when={section() === 'users'}>
              <AdminUsers />
            </Match>
            <Match when={section() === 'jobs'}>
              <AdminJobs />
            </Match>
            <Match when={section() === 'clusters'}>
              <AdminClusters />
            </Match>
          </Switch>
        </Show>
      </div>
    </Shell>
  );
}

function NotAnAdmin() {
  return (
    <>
      <PageHeader title="Platform admin" />
      <Empty title="Platform admins only">
        <p class="muted admin-explain">
          These pages are for the people who run this Canopy installation: they show every organization, project and
          user, the worker's jobs and the database clusters. Your account is not a platform admin. The operator can make
          it one on the server with <code>npm run admin -- grant-platform-admin &lt;email&gt;</code>.
        </p>
      </Empty>
    </>
  );
}
