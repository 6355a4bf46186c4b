/** Creating an organization: a name, and a slug for its URLs suggested from the name. */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal } from 'solid-js';
import { Shell } from '../../layout/shell.tsx';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { Field, FormError } from '../../ui/field.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { checkOrganization, type OrganizationErrors, refusalOf, SLUG_RULE, slugFrom } from './organization-input.ts';

const CREATE_ORGANIZATION = `mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { result { id slug } }
}`;

export function NewOrganization() {
  const session = useSession();
  const navigate = useNavigate();
  const [name, setName] = createSignal('');
  const [slug, setSlug] = createSignal('');
  const [slugEdited, setSlugEdited] = createSignal(false);
  const [errors, setErrors] = createSignal<OrganizationErrors>({});
  const [state, create] = createMutation(CREATE_ORGANIZATION);
  const shownSlug = () => (slugEdited() ? slug() : slugFrom(name()));

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found = checkOrganization(name().trim(), shownSlug());
    setErrors(found);
    if (found.name || found.slug) return;
    const result = await create({ input: { name: name().trim(), slug: shownSlug() } });
    if (result.error) return setErrors(refusalOf(result.error));
    await session.reload();
    navigate(`/org/${result.data.createOrganization.result.slug}`);
  };

  return (
    <Shell>
      <PageHeader title="New organization" description="An organization holds projects and the people who work on them." />
      <Section title="Details">
        <form onSubmit={submit} novalidate style={{ 'max-width': '420px' }}>
          <Field label="Name" value={name()} onValue={setName} error={errors().name} autofocus />
          <Field
            label="Slug"
            value={shownSlug()}
            onValue={(value) => {
              setSlugEdited(true);
              setSlug(value);
            }}
            error={errors().slug}
            hint={`Used in URLs: ${SLUG_RULE}`}
          />
          <FormError message={errors().form} />
          <Button type="submit" variant="primary" pending={state.fetching}>Create organization</Button>
        </form>
      </Section>
    </Shell>
  );
}
