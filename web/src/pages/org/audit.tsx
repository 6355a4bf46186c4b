import { PageHeader } from '../../ui/misc.tsx';

export function AuditLog() {
  return <PageHeader title="Audit log" description="Coming soon." />;
}
