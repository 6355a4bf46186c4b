import { PageHeader } from '../../ui/misc.tsx';

export function SqlEditor() {
  return <PageHeader title="SQL editor" description="Coming soon." />;
}
