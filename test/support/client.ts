/** A GraphQL client for the control API over real HTTP, as a browser (cookie) or a script (bearer token) would be. */
import { randomBytes } from 'node:crypto';
import type { TestPlatform } from './platform.ts';

export interface GraphQLResult<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  headers: Headers;
}

export interface ClientOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  userAgent?: string;
}

export class ControlClient {
  constructor(
    readonly url: string,
    readonly options: ClientOptions = {},
  ) {}

  async request<T = any>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (this.options.cookie) headers.cookie = this.options.cookie;
    if (this.options.origin) headers.origin = this.options.origin;
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: GraphQLResult['errors'] };
    return { status: response.status, data: body.data ?? undefined, errors: body.errors, headers: response.headers };
  }

  /** The data, or a thrown error naming the GraphQL errors. */
  async data<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const result = await this.request<T>(query, variables);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  }

  /** The first error's code (and fails if there was none). */
  async errorCode(query: string, variables?: Record<string, unknown>): Promise<string | undefined> {
    const result = await this.request(query, variables);
    if (!result.errors?.length) throw new Error(`Expected an error, got ${JSON.stringify(result.data)}`);
    return result.errors[0].extensions?.code;
  }

  as(options: ClientOptions): ControlClient {
    return new ControlClient(this.url, { ...this.options, ...options });
  }
}

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
}

export interface SignedInUser {
  client: ControlClient;
  userId: string;
  email: string;
  token: string;
}

/** Registers a new account and returns a client that acts as it (bearer session token). */
export async function signUp(platform: TestPlatform, email = uniqueEmail()): Promise<SignedInUser> {
  const anonymous = new ControlClient(platform.url);
  const { register } = await anonymous.data(
    `mutation ($input: RegisterInput!) { register(input: $input) { token userId } }`,
    { input: { email, password: PASSWORD } },
  );
  return { client: anonymous.as({ token: register.token }), userId: register.userId, email, token: register.token };
}
