import { PageHeader } from '../../ui/misc.tsx';

export function ProjectStorage() {
  return <PageHeader title="Storage" description="Coming soon." />;
}
