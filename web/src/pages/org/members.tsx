import { PageHeader } from '../../ui/misc.tsx';

export function Members() {
  return <PageHeader title="Members" description="Coming soon." />;
}
