/** Every organization on the platform: its plan, size and age, searchable by name, slug or ref. */
import { A } from '@solidjs/router';
import { Button } from '../../ui/button.tsx';
import { Badge, formatDate, PageHeader } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { createAdminList } from './live.ts';
import { RefreshError, SearchTable } from './table.tsx';

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
  const { result, refresh, refreshing, showMore } = createAdminList<{ organizations: { totalCount: number; nodes: AdminOrganization[] } }>(ORGANIZATIONS, 30_000);
  return (
    <>
      <PageHeader title="Organizations" description="Every organization on this installation, with its plan and what it holds.">
        <Button onClick={refresh} pending={refreshing()}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <SearchTable
            label="Organizations"
            rows={data().organizations.nodes}
            loaded={data().organizations.nodes.length}
            total={data().organizations.totalCount}
            onShowMore={showMore}
            loadingMore={refreshing()}
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
        )}
      </QueryState>
    </>
  );
}
