import { PageHeader } from '../../ui/misc.tsx';

export function TableEditor() {
  return <PageHeader title="Table editor" description="Coming soon." />;
}
