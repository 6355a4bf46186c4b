/**
 * A project's credentials (`projectCredentials`). Never a live query: each reveal of the secrets is audited, and every
 * audited change re-fetches the live queries, so a live one would reveal them again and again. They are read when a
 * page needs them, and again when they are known to change.
 */
import type { Client } from '@urql/core';
import { errorMessage } from '../../../graphql/client.ts';

export interface Credentials {
  apiUrl: string;
  anonKey: string;
  /** Null for read-only members, as are the two below. */
  serviceRoleKey: string | null;
  jwtSecret: string | null;
  databaseUrl: string | null;
}

const CREDENTIALS = `query ProjectCredentials($projectId: UUID!) {
  projectCredentials(projectId: $projectId) { apiUrl anonKey serviceRoleKey jwtSecret databaseUrl }
}`;

export async function fetchCredentials(client: Client, projectId: string): Promise<Credentials> {
  const result = await client.query(CREDENTIALS, { projectId }, { requestPolicy: 'network-only' }).toPromise();
  const credentials = result.data?.projectCredentials as Credentials | null | undefined;
  if (result.error || !credentials) throw new Error(errorMessage(result.error) ?? 'The project has no credentials now');
  return credentials;
}

/** The service_role key, read on first use and kept for this page; `fresh` reads it again (after a rotation). */
export function serviceKeySource(client: Client, projectId: () => string) {
  let key: Promise<string> | undefined;
  return async (fresh = false): Promise<string> => {
    if (fresh || !key) {
      key = fetchCredentials(client, projectId()).then((credentials) => {
        if (!credentials.serviceRoleKey) {
          throw new Error('Your role cannot use the service_role key; ask an owner or administrator for a higher role.');
        }
        return credentials.serviceRoleKey;
      });
      key.catch(() => (key = undefined));
    }
    return key;
  };
}
