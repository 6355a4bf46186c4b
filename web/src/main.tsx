/** The console's entry: the GraphQL client, who is signed in, and the routes. */
import { Provider } from '@urql/solid';
import { render } from 'solid-js/web';
import { Routes } from './routes.tsx';
import { client } from './graphql/client.ts';
import { OrganizationEvents } from './graphql/live.ts';
import { SessionProvider } from './session.tsx';
import './ui/theme.css';

render(
  () => (
    <Provider value={client}>
      <SessionProvider>
        <OrganizationEvents />
        <Routes />
      </SessionProvider>
    </Provider>
  ),
  document.getElementById('root')!,
);
