/** Pages that reach into a project's own database (auth, storage) work only while it is active; else say why. */
import { A } from '@solidjs/router';
import { Match, Switch, type JSX } from 'solid-js';
import { useProject } from '../../../layout/project.tsx';
import { Empty } from '../../../ui/states.tsx';

const WHY: Record<string, string> = {
  provisioning: 'It is still being set up; this page opens when it is ready.',
  failed: 'It could not be set up. Retry it from its home page.',
  pausing: 'Its APIs are stopping.',
  paused: 'Resume it from its home page to use this page.',
  resuming: 'This page opens when it is running again.',
  deleting: 'It is being deleted with everything in it.',
  deleted: 'Nothing is left of it.',
};

export function RequiresActive(props: { children: JSX.Element }) {
  const { project } = useProject();
  return (
    <Switch>
      <Match when={project().status === 'active'}>{props.children}</Match>
      <Match when={project().status !== 'active'}>
        <Empty title={`The project is ${project().status}`}>
          <p class="muted">{WHY[project().status]}</p>
          <A href={`/project/${project().ref}`}>Go to the project's home</A>
        </Empty>
      </Match>
    </Switch>
  );
}
