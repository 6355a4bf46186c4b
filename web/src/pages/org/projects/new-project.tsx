/** "New project": a name and, where there is a choice, the cluster (region) it lives on. */
import { useNavigate } from '@solidjs/router';
import { createMutation, createQuery } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import { Button } from '../../../ui/button.tsx';
import { Dialog } from '../../../ui/dialog.tsx';
import { Field, FormError, Select } from '../../../ui/field.tsx';

const CLUSTERS = `query ClusterNames { clusterNames { nodes } }`;
const CREATE_PROJECT = `mutation CreateProject($input: CreateProjectInput!) {
  createProject(input: $input) { result { id ref } }
}`;

/** The database's rule (projects_name_valid): 1 to 100 characters, no control characters. */
export function projectNameError(name: string): string | undefined {
  if (!name.trim()) return 'Give the project a name';
  if (name.trim().length > 100) return 'A name is at most 100 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot hold control characters';
  return undefined;
}

export function NewProjectDialog(props: { open: boolean; organizationId: string; onClose: () => void }) {
  const navigate = useNavigate();
  const [clusters] = createQuery<{ clusterNames: { nodes: string[] } | null }>({ query: CLUSTERS });
  const [name, setName] = createSignal('');
  const [cluster, setCluster] = createSignal('');
  const [errors, setErrors] = createSignal<{ name?: string; cluster?: string; form?: string }>({});
  const [state, create] = createMutation(CREATE_PROJECT);
  const clusterNames = () => clusters.data?.clusterNames?.nodes.filter((n): n is string => !!n) ?? [];

  const close = () => {
    setName('');
    setCluster('');
    setErrors({});
    props.onClose();
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const nameError = projectNameError(name());
    setErrors({ name: nameError });
    if (nameError) return;
    const result = await create({
      input: { organizationId: props.organizationId, name: name().trim(), cluster: cluster() || null },
    });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'INVALID_NAME') setErrors({ name: message });
      else if (code === 'NOT_FOUND' && cluster()) setErrors({ cluster: message });
      else setErrors({ form: message });
      return;
    }
    refreshLiveQueries();
    const ref = result.data.createProject.result.ref as string;
    close();
    navigate(`/project/${ref}`);
  };

  return (
    <Dialog open={props.open} title="New project" onClose={close}>
      <form onSubmit={submit} novalidate>
        <p class="muted" style={{ 'margin-bottom': '12px' }}>
          A project gets its own database schema, API keys, auth users and storage. It takes a few seconds to set up.
        </p>
        <Field label="Project name" value={name()} onValue={setName} error={errors().name} maxLength={100} autofocus />
        <Show when={clusterNames().length > 1}>
          <Select
            label="Cluster"
            value={cluster()}
            onValue={setCluster}
            error={errors().cluster}
            options={[{ value: '', label: 'Any (the one with most room)' }, ...clusterNames().map((n) => ({ value: n, label: n }))]}
          />
          <p class="field-hint" style={{ 'margin-top': '-8px', 'margin-bottom': '12px' }}>
            An organization's projects share one database: once it has one, new projects go to its cluster.
          </p>
        </Show>
        <FormError message={errors().form} />
        <div class="dialog-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" pending={state.fetching}>Create project</Button>
        </div>
      </form>
    </Dialog>
  );
}
