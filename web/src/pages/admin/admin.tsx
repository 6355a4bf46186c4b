import { PageHeader } from '../../ui/misc.tsx';

export function PlatformAdmin() {
  return <PageHeader title="Platform admin" description="Coming soon." />;
}
