/** `/org/:slug/settings`: the organization's name and slug, and deleting it. */
import { Show } from 'solid-js';
import { canManage, useOrganization } from '../../layout/organization.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { Empty } from '../../ui/states.tsx';
import { DeleteOrganization } from './settings/delete.tsx';
import { GeneralSettings } from './settings/general.tsx';
import './settings/settings.css';

export function OrganizationSettings() {
  const { organization, role } = useOrganization();
  return (
    <>
      <PageHeader title="Settings" description={`How ${organization().name} is named and found.`} />
      <Show
        when={!organization().deletingAt}
        fallback={
          <Section title="Being deleted">
            <Empty title="This organization is being deleted">
              <p class="muted">Its projects and data are being removed. It disappears from your organizations when that is done.</p>
            </Empty>
          </Section>
        }
      >
        <GeneralSettings organization={organization()} mayEdit={canManage(role())} />
        <DeleteOrganization organization={organization()} isOwner={role() === 'owner'} />
      </Show>
    </>
  );
}
