/** Every project on the platform with its status and organization, searchable, filtered by status. */
import { A } from '@solidjs/router';
import { createSignal } from 'solid-js';
import type { ProjectStatus } from '../../layout/project.tsx';
import { Button } from '../../ui/button.tsx';
import { Select } from '../../ui/field.tsx';
import { Badge, formatDate, PageHeader } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { createAdminList } from './live.ts';
import { RefreshError, SearchTable } from './table.tsx';

const PROJECTS = `query AdminProjects($first: Int!) {
  projects(first: $first, orderBy: PRIMARY_KEY_ASC) {
    totalCount
    nodes { id name ref status statusReason createdAt organization { id name slug } }
  }
}`;

interface AdminProject {
  id: string;
  name: string;
  ref: string;
  status: ProjectStatus;
  statusReason: string | null;
  createdAt: string;
  organization: { id: string; name: string; slug: string } | null;
}

const STATUSES: ProjectStatus[] = ['provisioning', 'active', 'failed', 'pausing', 'paused', 'resuming', 'deleting', 'deleted'];
const STATUS_OPTIONS = [
  { value: 'live', label: 'All but deleted' },
  { value: 'all', label: 'All' },
  ...STATUSES.map((status) => ({ value: status, label: status[0].toUpperCase() + status.slice(1) })),
];

export function AdminProjects() {
  const [status, setStatus] = createSignal('live');
  const { result, refresh, refreshing, showMore } = createAdminList<{ projects: { totalCount: number; nodes: AdminProject[] } }>(PROJECTS, 15_000);
  const ofStatus = (project: AdminProject) =>
    status() === 'all' || (status() === 'live' ? project.status !== 'deleted' : project.status === status());
  // Newest first: what an operator looks for is usually what just happened.
  const rows = (nodes: AdminProject[]) => nodes.filter(ofStatus).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <>
      <PageHeader title="Projects" description="Every project on this installation, newest first.">
        <Button onClick={refresh} pending={refreshing()}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <SearchTable
            label="Projects"
            rows={rows(data().projects.nodes)}
            loaded={data().projects.nodes.length}
            total={data().projects.totalCount}
            onShowMore={showMore}
            loadingMore={refreshing()}
            text={(p) => `${p.name} ${p.ref} ${p.status} ${p.organization?.name ?? ''} ${p.organization?.slug ?? ''}`}
            searchHint="Name, ref or organization"
            filters={<Select label="Status" value={status()} onValue={setStatus} options={STATUS_OPTIONS} />}
            columns={[
              {
                header: 'Name',
                cell: (p) => (p.status === 'deleted' ? p.name : <A href={`/project/${p.ref}`}>{p.name}</A>),
              },
              { header: 'Ref', cell: (p) => <code>{p.ref}</code> },
              {
                header: 'Status',
                cell: (p) => (
                  <div class="admin-status">
                    <Badge status={p.status} />
                    {p.statusReason && <span class="muted">{p.statusReason}</span>}
                  </div>
                ),
              },
              {
                header: 'Organization',
                cell: (p) => (p.organization ? <A href={`/org/${p.organization.slug}`}>{p.organization.name}</A> : '—'),
              },
              { header: 'Created', cell: (p) => formatDate(p.createdAt) },
            ]}
          />
        )}
      </QueryState>
    </>
  );
}
