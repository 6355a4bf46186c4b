/** Every organization on the platform: its plan, size and age, searchable by name, slug or ref. */
import { A } from '@solidjs/router';
import { Badge, formatDate } from '../../ui/misc.tsx';
import { AdminListPage } from './table.tsx';

const ORGANIZATIONS = `query AdminOrganizations($first: Int!) {
  organizations(first: $first, orderBy: SLUG_ASC) {
    totalCount
    nodes {
      id name slug ref createdAt deletingAt
      plan { id name }
      projects { totalCount }
      organizationMemberships { totalCount }
    }
  }
}`;

interface AdminOrganization {
  id: string;
  name: string;
  slug: string;
  ref: string;
  createdAt: string;
  deletingAt: string | null;
  plan: { id: string; name: string } | null;
  projects: { totalCount: number };
  organizationMemberships: { totalCount: number };
}

export function AdminOrganizations() {
  return (
    <AdminListPage<AdminOrganization>
      title="Organizations"
      description="Every organization on this installation, with its plan and what it holds."
      query={ORGANIZATIONS}
      field="organizations"
      everyMs={30_000}
      text={(o) => `${o.name} ${o.slug} ${o.ref} ${o.plan?.name ?? ''}`}
      searchHint="Name, slug, ref or plan"
      columns={[
        {
          header: 'Name',
          cell: (o) => (
            <div class="admin-name">
              <A href={`/org/${o.slug}`}>{o.name}</A>
              {o.deletingAt && <Badge status="deleting" />}
            </div>
          ),
        },
        { header: 'Slug', cell: (o) => <code>{o.slug}</code> },
        { header: 'Ref', cell: (o) => <code>{o.ref}</code> },
        { header: 'Plan', cell: (o) => o.plan?.name ?? '—' },
        { header: 'Projects', cell: (o) => o.projects.totalCount, class: 'admin-number' },
        { header: 'Members', cell: (o) => o.organizationMemberships.totalCount, class: 'admin-number' },
        { header: 'Created', cell: (o) => formatDate(o.createdAt) },
      ]}
    />
  );
}
