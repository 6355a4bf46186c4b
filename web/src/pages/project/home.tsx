/** A project's home (/project/:ref): its status, how to connect to it, and its lifecycle. */
import { Show } from 'solid-js';
import { useProject } from '../../layout/project.tsx';
import { formatDate, PageHeader } from '../../ui/misc.tsx';
import './common/project.css';
import { KeysSection } from './home/keys.tsx';
import { LifecycleSection } from './home/lifecycle.tsx';
import { StatusSection } from './home/status.tsx';

export function ProjectHome() {
  const { project } = useProject();
  // Keys exist from the `keys` step on; they are shown while the project has them (paused too).
  const connectable = () => ['active', 'pausing', 'paused', 'resuming'].includes(project().status);
  return (
    <>
      <PageHeader title={project().name} description={`Ref ${project().ref} · created ${formatDate(project().createdAt)}`} />
      <StatusSection />
      <Show when={connectable()}>
        <KeysSection />
      </Show>
      <Show when={project().status !== 'deleted' && project().status !== 'provisioning'}>
        <LifecycleSection />
      </Show>
    </>
  );
}
