/** Leaving the organization: anyone may, except its last owner (the server says LAST_OWNER in the dialog). */
import { useNavigate } from '@solidjs/router';
import { createMutation } from '@urql/solid';
import { createSignal } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { useSession } from '../../../session.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Section } from '../../../ui/misc.tsx';
import { LEAVE } from './data.ts';

export function LeaveSection(props: { organizationId: string; organizationName: string }) {
  const [open, setOpen] = createSignal(false);
  const [, leave] = createMutation(LEAVE);
  const session = useSession();
  const navigate = useNavigate();

  const onLeave = async () => {
    const result = await leave({ organizationId: props.organizationId });
    if (result.error) return errorMessage(result.error);
    // Home picks another organization (or offers a new one) once the session no longer lists this one.
    await session.reload();
    navigate('/', { replace: true });
  };

  return (
    <Section
      title="Leave organization"
      description="You lose access to its projects. To come back you need a new invitation."
      actions={<Button variant="danger" onClick={() => setOpen(true)}>Leave organization</Button>}
    >
      <ConfirmDialog
        open={open()}
        title={`Leave ${props.organizationName}?`}
        action="Leave organization"
        onConfirm={onLeave}
        onClose={() => setOpen(false)}
      >
        <p>You lose access to {props.organizationName} and its projects at once. An organization must keep an owner: if you are its only one, transfer ownership first.</p>
      </ConfirmDialog>
    </Section>
  );
}
