/** Every project on the platform with its status and organization, searchable, filtered by status. */
import { A } from '@solidjs/router';
import { createSignal } from 'solid-js';
import type { ProjectStatus } from '../../layout/project.tsx';
import { Select } from '../../ui/field.tsx';
import { Badge, formatDate } from '../../ui/misc.tsx';
import { AdminListPage } from './table.tsx';

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
  const ofStatus = (project: AdminProject) =>
    status() === 'all' || (status() === 'live' ? project.status !== 'deleted' : project.status === status());
  return (
    <AdminListPage<AdminProject>
      title="Projects"
      description="Every project on this installation, newest first."
      query={PROJECTS}
      field="projects"
      everyMs={15_000}
      // Newest first: what an operator looks for is usually what just happened.
      show={(projects) => projects.filter(ofStatus).sort((a, b) => b.createdAt.localeCompare(a.createdAt))}
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
  );
}
