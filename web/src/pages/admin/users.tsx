/** Every platform user: email, name, memberships, whether they are a platform admin; searchable. */
import { createQuery } from '@urql/solid';
import { createSignal } from 'solid-js';
import { Button } from '../../ui/button.tsx';
import { Checkbox } from '../../ui/field.tsx';
import { formatDate, PageHeader } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { createPolling, keepPrevious } from './live.ts';
import { PAGE_SIZE } from './organizations.tsx';
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
  const [first, setFirst] = createSignal(PAGE_SIZE);
  const [adminsOnly, setAdminsOnly] = createSignal(false);
  const [query, refetch] = createQuery<{ users: { totalCount: number; nodes: AdminUser[] } }>({
    query: USERS,
    variables: () => ({ first: first() }),
    requestPolicy: 'cache-and-network',
  });
  const result = keepPrevious(query);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  createPolling(refresh, 30_000, () => query.fetching);
  return (
    <>
      <PageHeader title="Users" description="Everyone with an account on this installation, by email.">
        <Button onClick={refresh} pending={query.fetching && result.data !== undefined}>Refresh</Button>
      </PageHeader>
      <RefreshError result={result} />
      <QueryState result={result} retry={refresh}>
        {(data) => (
          <SearchTable
            label="Users"
            rows={data().users.nodes.filter((user) => !adminsOnly() || user.isPlatformAdmin)}
            loaded={data().users.nodes.length}
            total={data().users.totalCount}
            onShowMore={() => setFirst(first() + PAGE_SIZE)}
            loadingMore={query.fetching}
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
