/** `/account`: the signed-in person's name, password, sessions and personal access tokens. */
import { A } from '@solidjs/router';
import { createLiveQuery } from '../../graphql/live.ts';
import { Shell } from '../../layout/shell.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { Empty, QueryState } from '../../ui/states.tsx';
import { ACCOUNT, type AccountUser } from './data.ts';
import { PasswordSection } from './password.tsx';
import { ProfileSection } from './profile.tsx';
import { SessionsSection } from './sessions.tsx';
import { TokensSection } from './tokens.tsx';
import './account.css';

export function Account() {
  // Live: sessions and tokens made or ended elsewhere (another browser, a script) are account events.
  const [result, refetch] = createLiveQuery<{ currentUser: AccountUser | null }>({ query: ACCOUNT });
  return (
    <Shell title="Account">
      <PageHeader title="Account" description="Your profile, password, sessions and tokens." />
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => !data.currentUser}
        whenEmpty={
          <Empty title="You are signed out">
            <A href="/sign-in?next=%2Faccount">Sign in again</A> to see your account.
          </Empty>
        }
      >
        {(data) => (
          <>
            <ProfileSection user={data().currentUser!} />
            <PasswordSection />
            <SessionsSection sessions={data().currentUser!.sessions.nodes} />
            <TokensSection tokens={data().currentUser!.personalAccessTokens.nodes} />
          </>
        )}
      </QueryState>
    </Shell>
  );
}
