/** `/invitations/:token`, the link in an invitation mail: who invites you to what, and accept or decline. */
import { A, useNavigate, useParams } from '@solidjs/router';
import { createMutation, createQuery } from '@urql/solid';
import { createSignal, Show } from 'solid-js';
import { errorMessage } from '../graphql/client.ts';
import { useSession } from '../session.tsx';
import { Button } from '../ui/button.tsx';
import { FormError } from '../ui/field.tsx';
import { formatDate } from '../ui/misc.tsx';
import { Empty, QueryState } from '../ui/states.tsx';

const PREVIEW = `query Invitation($token: String!) {
  organizationInvitationByToken(token: $token) { organizationName email role expiresAt }
}`;
const ACCEPT = `mutation Accept($token: String!) {
  acceptOrganizationInvitation(input: { token: $token }) { result { organization { slug } } }
}`;
const DECLINE = `mutation Decline($token: String!) { declineOrganizationInvitation(input: { token: $token }) { clientMutationId } }`;

interface Preview {
  organizationName: string;
  email: string;
  role: string;
  expiresAt: string;
}

export function Invitation() {
  const params = useParams();
  const session = useSession();
  const navigate = useNavigate();
  const [result] = createQuery<{ organizationInvitationByToken: Preview | null }>({
    query: PREVIEW,
    variables: () => ({ token: params.token }),
  });
  const [accepting, accept] = createMutation(ACCEPT);
  const [declining, decline] = createMutation(DECLINE);
  const [error, setError] = createSignal<string>();
  const [declined, setDeclined] = createSignal(false);
  const next = () => encodeURIComponent(`/invitations/${params.token}`);

  const onAccept = async () => {
    const answer = await accept({ token: params.token });
    if (answer.error) return setError(errorMessage(answer.error));
    await session.reload();
    navigate(`/org/${answer.data.acceptOrganizationInvitation.result.organization.slug}`);
  };
  const onDecline = async () => {
    const answer = await decline({ token: params.token });
    if (answer.error) return setError(errorMessage(answer.error));
    setDeclined(true);
  };

  return (
    <main class="centered">
      <p class="brand" style={{ 'margin-bottom': '16px' }}>Canopy</p>
      <section class="section">
        <QueryState
          result={result}
          empty={(data) => !data.organizationInvitationByToken}
          whenEmpty={<Empty title="This invitation is not valid">It may have been revoked, used, or mistyped.</Empty>}
        >
          {(data) => {
            const invitation = () => data().organizationInvitationByToken!;
            return (
              <Show when={!declined()} fallback={<p>You declined the invitation to {invitation().organizationName}.</p>}>
                <h1>Join {invitation().organizationName}</h1>
                <p>
                  You are invited as <strong>{invitation().role.replace('_', '-')}</strong>, for {invitation().email}. The
                  invitation expires {formatDate(invitation().expiresAt)}.
                </p>
                <Show
                  when={session.user()}
                  fallback={
                    <p>
                      <A href={`/sign-in?next=${next()}`}>Sign in</A> or <A href={`/sign-up?next=${next()}`}>create an account</A>{' '}
                      with {invitation().email} to answer.
                    </p>
                  }
                >
                  <FormError message={error()} />
                  <div class="row">
                    <Button variant="primary" onClick={onAccept} pending={accepting.fetching}>Accept</Button>
                    <Button onClick={onDecline} pending={declining.fetching}>Decline</Button>
                  </div>
                </Show>
              </Show>
            );
          }}
        </QueryState>
      </section>
    </main>
  );
}
