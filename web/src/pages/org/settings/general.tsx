/** Renaming the organization and changing its slug (its URLs), validated before sending. */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import type { Organization } from '../../../layout/organization.tsx';
import { useSession } from '../../../session.tsx';
import { Button } from '../../../ui/button.tsx';
import { Field, FormError } from '../../../ui/field.tsx';
import { Section } from '../../../ui/misc.tsx';
import { checkOrganization, type OrganizationErrors, refusalOf, SLUG_RULE } from '../organization-input.ts';

const UPDATE_ORGANIZATION = `mutation UpdateOrganization($id: UUID!, $patch: OrganizationPatch!) {
  updateOrganization(input: { id: $id, patch: $patch }) { organization { id name slug } }
}`;

export function GeneralSettings(props: { organization: Organization; mayEdit: boolean }) {
  const session = useSession();
  const navigate = useNavigate();
  // What the person typed; until then the fields follow the organization (another member may rename it meanwhile).
  const [name, setName] = createSignal<string>();
  const [slug, setSlug] = createSignal<string>();
  const [errors, setErrors] = createSignal<OrganizationErrors>({});
  const [saved, setSaved] = createSignal(false);
  const [state, update] = createMutation(UPDATE_ORGANIZATION);
  const shownName = () => name() ?? props.organization.name;
  const shownSlug = () => slug() ?? props.organization.slug;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setSaved(false);
    const newName = shownName().trim();
    const newSlug = shownSlug().trim();
    const found = checkOrganization(newName, newSlug);
    const patch: { name?: string; slug?: string } = {};
    if (newName !== props.organization.name) patch.name = newName;
    if (newSlug !== props.organization.slug) patch.slug = newSlug;
    if (!found.name && !found.slug && !patch.name && !patch.slug) found.form = 'Nothing has changed';
    setErrors(found);
    if (found.name || found.slug || found.form) return;

    const result = await update({ id: props.organization.id, patch });
    if (result.error) return setErrors(refusalOf(result.error));
    if (!result.data?.updateOrganization?.organization) {
      // RLS lets the update touch no row rather than refuse it.
      setErrors({ form: 'Only owners and administrators may change these settings' });
      return;
    }
    setName(undefined);
    setSlug(undefined);
    setSaved(true);
    // The session first, then the URL: the switcher's options then already hold the new slug when it is chosen.
    await session.reload();
    if (patch.slug) navigate(`/org/${patch.slug}/settings`, { replace: true });
    else refreshLiveQueries();
  };

  return (
    <Section
      title="General"
      description={props.mayEdit ? undefined : 'Only owners and administrators change these settings.'}
    >
      <form onSubmit={submit} novalidate class="settings-form" aria-label="General settings">
        <Field
          label="Organization name"
          value={shownName()}
          onValue={(value) => {
            setSaved(false);
            setName(value);
          }}
          error={errors().name}
          readOnly={!props.mayEdit}
          maxLength={100}
        />
        <Field
          label="Slug"
          value={shownSlug()}
          onValue={(value) => {
            setSaved(false);
            setSlug(value);
          }}
          error={errors().slug}
          hint={`Used in URLs: ${SLUG_RULE}. Changing it changes the organization’s links; old ones stop working.`}
          readOnly={!props.mayEdit}
          autocomplete="off"
          spellcheck={false}
        />
        <FormError message={errors().form} />
        <Show when={props.mayEdit}>
          <div class="row">
            <Button type="submit" variant="primary" pending={state.fetching}>Save changes</Button>
            <Show when={saved()}>
              <span class="muted" role="status">Saved</span>
            </Show>
          </div>
        </Show>
      </form>
    </Section>
  );
}
