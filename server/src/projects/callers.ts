/**
 * Who is calling a project's API. Every request carries the project's `anon` or `service_role` key as `apikey`
 * (header, or query parameter where headers cannot be set: WebSockets); `Authorization: Bearer` may carry an end
 * user's access token instead, which then decides the role. Tokens are verified with the project's own JWT secret,
 * HS256 only, and must name the project (`ref`): a token of another project never verifies here.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { CanopyError } from '../errors.ts';
import { RecentMap } from '../recent-map.ts';
import type { ProjectEntry } from './registry.ts';

export type ApiRole = 'anon' | 'authenticated' | 'service_role';

export interface ProjectCaller {
  role: ApiRole;
  /** The Postgres role the request runs as. */
  databaseRole: string;
  claims: JWTPayload & { role: ApiRole; ref: string; sub?: string };
}

const DATABASE_ROLE_SUFFIX: Record<ApiRole, string> = {
  anon: 'anon',
  authenticated: 'authenticated',
  service_role: 'service',
};

export async function verifyProjectToken(project: ProjectEntry, token: string): Promise<ProjectCaller['claims']> {
  if (!project.jwtKey) throw new CanopyError('PROJECT_NOT_READY', 'The project is not ready yet', 503);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, project.jwtKey, { algorithms: ['HS256'] }));
  } catch (error) {
    const expired = error instanceof errors.JWTExpired;
    throw new CanopyError(expired ? 'JWT_EXPIRED' : 'INVALID_JWT', expired ? 'The JWT has expired' : 'Invalid JWT', 401);
  }
  const role = payload.role;
  if (payload.ref !== project.ref || (role !== 'anon' && role !== 'authenticated' && role !== 'service_role')) {
    throw new CanopyError('INVALID_JWT', 'Invalid JWT', 401);
  }
  if (role === 'authenticated' && (typeof payload.sub !== 'string' || payload.aud !== 'authenticated')) {
    throw new CanopyError('INVALID_JWT', 'Invalid JWT', 401);
  }
  return payload as ProjectCaller['claims'];
}

export async function identifyProjectCaller(
  project: ProjectEntry,
  apikey: string | undefined,
  authorization: string | undefined,
): Promise<ProjectCaller> {
  if (!apikey) throw new CanopyError('NO_API_KEY', 'No API key found in request', 401);
  const key = await verifiedApiKey(project, apikey);
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
  if (authorization && !bearer) throw new CanopyError('INVALID_JWT', 'The Authorization header must be "Bearer <token>"', 401);
  const claims = bearer && bearer !== apikey ? await verifiedUserToken(project, bearer) : key;
  return { role: claims.role, databaseRole: `p_${project.ref}_${DATABASE_ROLE_SUFFIX[claims.role]}`, claims };
}

/**
 * A project has two keys, sent with every request: each is verified once and remembered on the project's registry
 * entry (which is replaced when the project or its secret changes, so a rotated key is forgotten with it).
 */
async function verifiedApiKey(project: ProjectEntry, apikey: string): Promise<ProjectCaller['claims']> {
  const known = project.verifiedKeys.get(apikey);
  if (known) return known;
  const key = await verifyProjectToken(project, apikey).catch(() => {
    throw new CanopyError('INVALID_API_KEY', 'Invalid API key', 401);
  });
  if (key.role === 'authenticated') throw new CanopyError('INVALID_API_KEY', 'Invalid API key', 401);
  // Only ever the project's own keys get here; the bound is against a flood of other valid-looking tokens.
  if (project.verifiedKeys.size < 8) project.verifiedKeys.set(apikey, key);
  return key;
}

/**
 * End users' access tokens, once verified, until they expire (as PostgREST's JWT cache does): an app sends the same
 * token with every request, and verifying it again (an HMAC through WebCrypto) was the largest cost of ours in a
 * request. Each is remembered by its SHA-256 with the registry entry it was verified against (a rotated secret
 * replaces the entry, and the token is verified again) and its expiry; its claims are decoded again at each use, so
 * an entry is ~100 bytes whatever the token holds (anyone with a project can sign large tokens). At most
 * MAX_VERIFIED_TOKENS, across projects; the oldest go first.
 */
const MAX_VERIFIED_TOKENS = 10_000;
const verifiedTokens = new RecentMap<string, { project: ProjectEntry; exp?: number }>(MAX_VERIFIED_TOKENS);

async function verifiedUserToken(project: ProjectEntry, token: string): Promise<ProjectCaller['claims']> {
  const digest = createHash('sha256').update(token).digest('base64');
  const known = verifiedTokens.get(digest);
  if (known?.project === project && (known.exp === undefined || known.exp * 1000 > Date.now())) {
    return decodeJwt(token) as ProjectCaller['claims'];
  }
  verifiedTokens.delete(digest);
  const claims = await verifyProjectToken(project, token);
  verifiedTokens.set(digest, { project, exp: claims.exp });
  return claims;
}
