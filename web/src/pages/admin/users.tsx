/** Every platform user: email, name, memberships, whether they are a platform admin; searchable. */
import { createSignal } from 'solid-js';
import { Checkbox } from '../../ui/field.tsx';
import { formatDate } from '../../ui/misc.tsx';
import { AdminListPage } from './table.tsx';

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
  return (
    <AdminListPage<AdminUser>
      title="Users"
      description="Everyone with an account on this installation, by email."
      query={USERS}
      field="users"
      everyMs={30_000}
      show={(users) => users.filter((user) => !adminsOnly() || user.isPlatformAdmin)}
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
  );
}
