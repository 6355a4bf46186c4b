/**
 * A project's Storage (/project/:ref/storage/*path): with no path its buckets; else one bucket's folder, the path
 * being the bucket and the folders in it.
 */
import { useParams } from '@solidjs/router';
import { useClient } from '@urql/solid';
import { Show } from 'solid-js';
import { useProject } from '../../layout/project.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { RequiresActive } from './common/active.tsx';
import './common/project.css';
import { BucketBrowser } from './storage/browser.tsx';
import { BucketList } from './storage/buckets.tsx';
import { storageApi } from './storage/scope.ts';
import './storage/storage.css';

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

export function ProjectStorage() {
  const params = useParams();
  const { project } = useProject();
  const api = storageApi(useClient(), () => project().ref, () => project().id);
  const segments = () => (params.path ?? '').split('/').filter(Boolean).map(decode);
  const bucket = () => segments()[0];
  const prefix = () => segments().slice(1).map((folder) => `${folder}/`).join('');
  return (
    <>
      <PageHeader title="Storage" description="Buckets of files, served by the project's storage API." />
      <RequiresActive>
        <Show when={bucket()} fallback={<BucketList api={api} />}>
          {(name) => <BucketBrowser bucket={name()} prefix={prefix()} api={api} />}
        </Show>
      </RequiresActive>
    </>
  );
}
