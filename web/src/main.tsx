/** The console's entry: the GraphQL client, who is signed in, and the routes. */
import { Provider } from '@urql/solid';
import { render } from 'solid-js/web';
import { Routes } from './routes.tsx';
import { client } from './graphql/client.ts';
import { SessionProvider } from './session.tsx';
import './ui/theme.css';

render(
  () => (
    <Provider value={client}>
      <SessionProvider>
        <Routes />
      </SessionProvider>
    </Provider>
  ),
  document.getElementById('root')!,
);
