/** Creating an organization: a name, and a slug for its URLs suggested from the name. */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal } from 'solid-js';
import { errorCode, errorMessage } from '../../graphql/client.ts';
import { Shell } from '../../layout/shell.tsx';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { Field, FormError } from '../../ui/field.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';

const CREATE_ORGANIZATION = `mutation CreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { result { id slug } }
}`;

export const SLUG_PATTERN = /^[a-z0-9-]{3,40}$/;
export const SLUG_RULE = '3 to 40 characters: lowercase letters, digits and dashes';

export const slugFrom = (name: string) =>
  name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);

export function NewOrganization() {
  const session = useSession();
  const navigate = useNavigate();
  const [name, setName] = createSignal('');
  const [slug, setSlug] = createSignal('');
  const [slugEdited, setSlugEdited] = createSignal(false);
  const [errors, setErrors] = createSignal<{ name?: string; slug?: string; form?: string }>({});
  const [state, create] = createMutation(CREATE_ORGANIZATION);
  const shownSlug = () => (slugEdited() ? slug() : slugFrom(name()));

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found: { name?: string; slug?: string } = {};
    if (!name().trim()) found.name = 'Give the organization a name';
    else if (name().trim().length > 100) found.name = 'A name is at most 100 characters';
    if (!SLUG_PATTERN.test(shownSlug())) found.slug = `A slug is ${SLUG_RULE}`;
    setErrors(found);
    if (found.name || found.slug) return;
    const result = await create({ input: { name: name().trim(), slug: shownSlug() } });
    if (result.error) {
      const code = errorCode(result.error);
      const message = errorMessage(result.error);
      if (code === 'SLUG_TAKEN' || code === 'INVALID_SLUG') setErrors({ slug: message });
      else if (code === 'INVALID_NAME') setErrors({ name: message });
      else setErrors({ form: message });
      return;
    }
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
