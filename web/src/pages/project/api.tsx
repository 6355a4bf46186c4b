import { PageHeader } from '../../ui/misc.tsx';

export function ProjectApi() {
  return <PageHeader title="API" description="Coming soon." />;
}
