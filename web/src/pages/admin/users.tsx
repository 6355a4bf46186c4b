/** Every platform user: email, name, memberships, whether they are a platform admin; searchable. */
import { createSignal } from 'solid-js';
import { Button } from '../../ui/button.tsx';
import { Checkbox } from '../../ui/field.tsx';
import { formatDate, PageHeader } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { createAdminList } from './live.ts';
import { RefreshError, SearchTable } from './table.tsx';

const USERS = `query AdminUsers($first: Int!) {
  users(first: $first, orderBy: EMAIL_ASC) {
    totalCount
    nodes { id email name isPlatformAdmin createdAt organizationMemberships { totalCount } }
  }
}`;

interface AdminUser {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  createdAt: string;
  organizationMemberships: { totalCount: number };
}

export function AdminUsers() {
  const [adminsOnly, setAdminsOnly] = createSignal(false);
  const { result, refresh, refreshing, showMore } = createAdminList<{ users: { totalCount: number; nodes: AdminUser[] } }>(USERS, 30_000);
  return (
    <>
      <PageHeader title="Users" description="Everyone with an account on this installation, by email.">
        <Button onClick={refresh} pending={refreshing()}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <SearchTable
            label="Users"
            rows={data().users.nodes.filter((user) => !adminsOnly() || user.isPlatformAdmin)}
            loaded={data().users.nodes.length}
            total={data().users.totalCount}
            onShowMore={showMore}
            loadingMore={refreshing()}
            text={(u) => `${u.email} ${u.name ?? ''}`}
            searchHint="Email or name"
            filters={<Checkbox label="Platform admins only" checked={adminsOnly()} onChange={setAdminsOnly} />}
            columns={[
              { header: 'Email', cell: (u) => u.email },
              { header: 'Name', cell: (u) => u.name ?? '—' },
              { header: 'Organizations', cell: (u) => u.organizationMemberships.totalCount, class: 'admin-number' },
              {
                header: 'Platform admin',
                cell: (u) => (u.isPlatformAdmin ? <span class="badge badge-good">platform admin</span> : <span class="muted">no</span>),
              },
              { header: 'Created', cell: (u) => formatDate(u.createdAt) },
            ]}
          />
        )}
      </QueryState>
    </>
  );
}
