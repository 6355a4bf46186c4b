/** Deleting the organization with everything it holds: owners only, after typing its slug. */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import type { Organization } from '../../../layout/organization.tsx';
import { useSession } from '../../../session.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Section } from '../../../ui/misc.tsx';

const DELETE_ORGANIZATION = `mutation DeleteOrganization($id: UUID!) {
  deleteOrganization(input: { organizationId: $id }) { result { id deletingAt } }
}`;

export function DeleteOrganization(props: { organization: Organization; isOwner: boolean }) {
  const [open, setOpen] = createSignal(false);
  const [, remove] = createMutation(DELETE_ORGANIZATION);
  const session = useSession();
  const navigate = useNavigate();

  const onDelete = async () => {
    // Read before waiting: the organization's event can empty the page first (a quick job already removed it), and
    // its props then throw "Stale read" when read.
    const id = props.organization.id;
    const result = await remove({ id });
    if (result.error) return errorMessage(result.error);
    await session.reload();
    // The deletion is a job: until it is done the organization may still be listed, and `/` would pick it again.
    const other = session.user()?.organizationMemberships.nodes.find((m) => m.organization.id !== id);
    navigate(other ? `/org/${other.organization.slug}` : '/', { replace: true });
  };

  return (
    <Section
      title="Delete organization"
      description="Deletes every project with its database, storage, keys and users, and everyone’s access. It cannot be undone."
      actions={
        <Show when={props.isOwner}>
          <Button variant="danger" onClick={() => setOpen(true)}>Delete organization</Button>
        </Show>
      }
    >
      <Show when={!props.isOwner}>
        <p class="muted">Only an owner can delete the organization.</p>
      </Show>
      <ConfirmDialog
        open={open()}
        title={`Delete ${props.organization.name}?`}
        action="Delete organization"
        typeToConfirm={props.organization.slug}
        onConfirm={onDelete}
        onClose={() => setOpen(false)}
      >
        <p>
          Every project of {props.organization.name}, with its data, files and keys, is deleted, and all members lose access.
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
