import { PageHeader } from '../../ui/misc.tsx';

export function ProjectHome() {
  return <PageHeader title="Project" description="Coming soon." />;
}
