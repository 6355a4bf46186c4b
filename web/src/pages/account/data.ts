/** The account page's data: the signed-in user with their sessions and personal access tokens (RLS: only their own). */

export interface AccountSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export interface AccessToken {
  id: string;
  name: string;
  tokenPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export interface AccountUser {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
  sessions: { nodes: AccountSession[] };
  personalAccessTokens: { nodes: AccessToken[] };
}

export const ACCOUNT = `query Account {
  currentUser {
    id email name createdAt
    sessions { nodes { id createdAt lastUsedAt expiresAt ip userAgent } }
    personalAccessTokens { nodes { id name tokenPrefix createdAt lastUsedAt expiresAt } }
  }
}`;

export const isPast = (value: string | null) => !!value && new Date(value).getTime() <= Date.now();

/** A name the platform accepts (users_name_valid, personal_access_tokens_name_valid). */
export function nameProblem(name: string, what: string): string | undefined {
  if (name.length > 100) return `${what} is at most 100 characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${what} cannot contain control characters`;
  return undefined;
}
