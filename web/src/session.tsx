/**
 * Who is signed in. The session itself is an httpOnly cookie the console never sees; `currentUser` says whose it is.
 */
import { useClient } from '@urql/solid';
import { createContext, useContext, type Accessor, type ParentProps } from 'solid-js';
import { reconnect } from './graphql/client.ts';
import { createLiveQuery, followCurrentUser } from './graphql/live.ts';

export interface CurrentUser {
  id: string;
  email: string;
  name: string | null;
  isPlatformAdmin: boolean;
  organizationMemberships: { nodes: { role: string; organization: { id: string; slug: string; name: string } }[] };
}

const CURRENT_USER = `query CurrentUser {
  currentUser {
    id email name isPlatformAdmin
    organizationMemberships { nodes { id role organization { id slug name } } }
  }
}`;

interface Session {
  user: Accessor<CurrentUser | null | undefined>;
  loading: Accessor<boolean>;
  error: Accessor<boolean>;
  /** Re-reads who is signed in (after signing in or out, or a membership change); resolves once it is known. */
  reload: () => Promise<void>;
}

const SessionContext = createContext<Session>();

export function SessionProvider(props: ParentProps) {
  const client = useClient();
  // Live, so a role another member changes is the role every page goes by.
  const [result] = createLiveQuery<{ currentUser: CurrentUser | null }>({ query: CURRENT_USER, requestPolicy: 'network-only' });
  const user = () => result.data?.currentUser;
  followCurrentUser(() => !!user());
  const session: Session = {
    user,
    loading: () => result.fetching && result.data === undefined,
    error: () => !!result.error && result.data === undefined,
    // urql hands the answer to every query with the same document, so the one above sees it too.
    reload: async () => {
      const before = user()?.id;
      const answer = await client.query(CURRENT_USER, {}, { requestPolicy: 'network-only' }).toPromise();
      if (answer.data?.currentUser?.id !== before) reconnect();
    },
  };
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
