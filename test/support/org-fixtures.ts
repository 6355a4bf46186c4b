/**
 * Fixtures for the organization and invitation tests: organizations with members in given roles, their memberships,
 * their audit log, the invitation mail outbox, and organizationEvents subscriptions over graphql-ws.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { type SignedInUser, signUp } from './client.ts';
import type { TestPlatform } from './platform.ts';

export type Role = 'owner' | 'administrator' | 'developer' | 'read_only';

export interface Organization {
  id: string;
  ref: string;
  slug: string;
  name: string;
}

export const CREATE_ORGANIZATION = `mutation ($name: String!, $slug: String!) {
  createOrganization(input: { name: $name, slug: $slug }) { result { id ref slug name } }
}`;

export function uniqueSlug(prefix = 'org'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * People and teams for a test file whose requests carry `userAgent` (so their audit entries are recognisable).
 * `platform` is a getter because test files start their platform in `test.before`.
 */
export function teamFixtures(platform: () => TestPlatform, userAgent: string) {
  async function person(email?: string): Promise<SignedInUser> {
    const user = await signUp(platform(), email);
    return { ...user, client: user.client.as({ userAgent }) };
  }
  /** An organization with an owner and one member of every other role, and an outsider. */
  async function team() {
    const [owner, admin, developer, readOnly, outsider] = await Promise.all([
      person(),
      person(),
      person(),
      person(),
      person(),
    ]);
    const organization = await newOrganization(platform(), owner, [
      [admin, 'administrator'],
      [developer, 'developer'],
      [readOnly, 'read_only'],
    ]);
    return { organization, owner, admin, developer, readOnly, outsider };
  }
  return { person, team };
}

/** An organization created by `owner` through the API, with each other user added directly in the given role. */
export async function newOrganization(
  platform: TestPlatform,
  owner: SignedInUser,
  members: Array<[SignedInUser, Role]> = [],
  slug = uniqueSlug(),
): Promise<Organization> {
  const { createOrganization } = await owner.client.data(CREATE_ORGANIZATION, { name: `Org ${slug}`, slug });
  const organization: Organization = createOrganization.result;
  for (const [user, role] of members) {
    await platform.owner.query(
      'insert into app_public.organization_memberships (organization_id, user_id, role) values ($1, $2, $3)',
      [organization.id, user.userId, role],
    );
  }
  return organization;
}

/** The membership id and role of a user in an organization (read as canopy_owner). */
export async function membershipOf(
  platform: TestPlatform,
  organizationId: string,
  userId: string,
): Promise<{ id: string; role: Role } | undefined> {
  const { rows } = await platform.owner.query<{ id: string; role: Role }>(
    'select id, role from app_public.organization_memberships where organization_id = $1 and user_id = $2',
    [organizationId, userId],
  );
  return rows[0];
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  actorId: string | null;
  userId: string | null;
  details: any;
  ip: string | null;
  userAgent: string | null;
}

/** The organization's audit log as `reader` sees it, oldest first. */
export async function auditOf(reader: SignedInUser, organizationId: string): Promise<AuditEntry[]> {
  const { auditEvents } = await reader.client.data(
    `query ($organizationId: UUID!) {
       auditEvents(condition: { organizationId: $organizationId }, orderBy: ID_ASC) {
         nodes { action targetType targetId actorId userId details ip userAgent }
       }
     }`,
    { organizationId },
  );
  return auditEvents.nodes;
}

/** Polls `check` until it returns something truthy, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface InvitationMail {
  id: string;
  recipient: string;
  template: string;
  variables: Record<string, string>;
  sentAt: Date | null;
}

/** The newest invitation mail sent to `email`. */
export async function latestInvitationMail(platform: TestPlatform, email: string): Promise<InvitationMail> {
  const { rows } = await platform.owner.query<InvitationMail>(
    `select id, recipient, template, variables, sent_at as "sentAt" from app_private.mails
     where recipient = $1 and template = 'organization_invitation' order by created_at desc limit 1`,
    [email],
  );
  if (!rows[0]) throw new Error(`No invitation mail to ${email}`);
  return rows[0];
}

/** A graphql-ws client over the `ws` package, signed in with a bearer token (or anonymous). */
export async function subscriptionClient(platform: TestPlatform, token?: string): Promise<Client> {
  return createClient({
    url: `${platform.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

export interface Subscription<T> {
  /** Every result received so far (data or errors). */
  results: Array<{ data?: T; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }>;
  /** Errors the socket or server sent to end the subscription. */
  failures: unknown[];
  completed: boolean;
  stop(): void;
}

export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown>): Subscription<T> {
  const subscription: Subscription<T> = { results: [], failures: [], completed: false, stop: () => {} };
  subscription.stop = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => void subscription.results.push(result as Subscription<T>['results'][number]),
      error: (error) => void subscription.failures.push(error),
      complete: () => void (subscription.completed = true),
    },
  );
  return subscription;
}

/**
 * Stops the platform, and fails if that takes longer than `timeoutMs`: shutting down must finish even after
 * subscriptions were used. When it hangs, the test database's remaining connections are terminated so that the test
 * process can still exit (and the failure is reported instead of a suite-wide timeout).
 */
export async function stopWithin(platform: TestPlatform | undefined, timeoutMs = 5_000): Promise<void> {
  if (!platform) return;
  const stopped = platform.stop().then(() => true);
  const late = () => new Promise<false>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
  if (await Promise.race([stopped, late()])) return;
  const { default: pg } = await import('pg');
  const root = new pg.Client(process.env.CANOPY_TEST_ROOT_URL);
  await root.connect();
  try {
    const { rows } = await root.query<{ query: string }>(
      `select query from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [new URL(platform.databaseUrl).pathname.slice(1)],
    );
    await root.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [new URL(platform.databaseUrl).pathname.slice(1)],
    );
    await Promise.race([stopped, late()]);
    throw new Error(
      `The platform did not shut down within ${timeoutMs} ms; connections still open: ${JSON.stringify(rows.map((row) => row.query))}`,
    );
  } finally {
    await root.end();
  }
}
