import { PageHeader } from '../../ui/misc.tsx';

export function OrganizationSettings() {
  return <PageHeader title="Settings" description="Coming soon." />;
}
