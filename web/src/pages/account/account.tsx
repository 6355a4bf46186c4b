import { PageHeader } from '../../ui/misc.tsx';

export function Account() {
  return <PageHeader title="Account" description="Coming soon." />;
}
