import { PageHeader } from '../../ui/misc.tsx';

export function ProjectAuth() {
  return <PageHeader title="Authentication" description="Coming soon." />;
}
