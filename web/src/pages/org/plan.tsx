import { PageHeader } from '../../ui/misc.tsx';

export function Plan() {
  return <PageHeader title="Plan and limits" description="Coming soon." />;
}
