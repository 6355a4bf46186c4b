import { PageHeader } from '../../ui/misc.tsx';

export function Projects() {
  return <PageHeader title="Projects" description="Coming soon." />;
}
