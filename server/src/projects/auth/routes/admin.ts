/**
 * The admin API, /admin/users, for servers holding the service_role key: create, list, get, update and delete
 * users. Admins may set app_metadata (merged; the provider keys stay) and confirm addresses directly.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuthContext, authContext, requireServiceRole } from '../context.ts';
import { emailExists, userNotFound } from '../errors.ts';
import * as input from '../input.ts';
import { checkPassword, hashPassword } from '../passwords.ts';
import type { AuthDependencies } from '../routes.ts';
import { userJson } from '../shapes.ts';
import { loadSettings } from '../settings.ts';
import { insertUser, isUuid, updateUser, userByEmail, userById } from '../users.ts';

interface UserBody {
  email?: string;
  password?: string;
  email_confirm?: boolean;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

const userBody = {
  type: 'object',
  properties: {
    email: input.email,
    password: input.password,
    email_confirm: { type: 'boolean' },
    user_metadata: input.metadata,
    app_metadata: input.metadata,
  },
} as const;

const MAX_PER_PAGE = 1000;

type IdParams = { Params: { id: string } };

export function adminRoutes(app: FastifyInstance, { config }: AuthDependencies) {
  const admin = (request: FastifyRequest): AuthContext => authContext(request, config);
  // Before the body or query is validated: callers without the service_role key learn nothing about the input.
  const adminOnly = async (request: FastifyRequest) => requireServiceRole(admin(request));

  /** A password given to the admin API still meets the project's minimum. */
  async function passwordHashOf(context: AuthContext, password: string | undefined) {
    if (password === undefined) return undefined;
    const { minPasswordLength } = await context.transaction((client) => loadSettings(client, context.schema));
    checkPassword(password, minPasswordLength);
    return hashPassword(password);
  }

  app.post<{ Body: UserBody }>('/admin/users', { preValidation: adminOnly, schema: { body: userBody } }, async (request) => {
    const context = admin(request);
    const { body } = request;
    const email = input.validEmail(body.email);
    const passwordHash = (await passwordHashOf(context, body.password)) ?? null;
    const user = await context.transaction((client) =>
      insertUser(client, context.schema, {
        email,
        passwordHash,
        confirmed: body.email_confirm === true,
        userMetadata: input.validMetadata(body.user_metadata),
        appMetadata: input.validMetadata(body.app_metadata),
      }),
    );
    if (!user) throw emailExists();
    return userJson(user);
  });

  // supabase-js sends `page=&per_page=` when they are not given: empty means the default.
  const pageNumber = { type: 'string', pattern: '^[0-9]{0,6}$' } as const;
  app.get<{ Querystring: { page?: string; per_page?: string } }>(
    '/admin/users',
    {
      preValidation: adminOnly,
      schema: { querystring: { type: 'object', properties: { page: pageNumber, per_page: pageNumber } } },
    },
    async (request, reply) => {
      const context = admin(request);
      const page = Math.max(1, Number(request.query.page) || 1);
      const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(request.query.per_page) || 50));
      const { users, total } = await context.transaction(async (client) => {
        const { rows } = await client.query(
          `select * from ${context.schema}.users order by created_at, id limit $1 offset $2`,
          [perPage, (page - 1) * perPage],
        );
        const { rows: count } = await client.query<{ total: number }>(
          `select count(*)::int as total from ${context.schema}.users`,
        );
        return { users: rows, total: count[0].total };
      });
      // GoTrue's pagination headers, which supabase-js reads into nextPage, lastPage and total.
      const lastPage = Math.max(1, Math.ceil(total / perPage));
      const links = [];
      if (page < lastPage) links.push(`</admin/users?page=${page + 1}&per_page=${perPage}>; rel="next"`);
      links.push(`</admin/users?page=${lastPage}&per_page=${perPage}>; rel="last"`);
      reply.header('x-total-count', String(total)).header('link', links.join(', '));
      return { users: users.map(userJson), aud: 'authenticated' };
    },
  );

  app.get<IdParams>('/admin/users/:id', { preValidation: adminOnly }, async (request) => {
    const context = admin(request);
    const user = await context.transaction((client) => userById(client, context.schema, request.params.id));
    if (!user) throw userNotFound();
    return userJson(user);
  });

  app.put<IdParams & { Body: UserBody }>(
    '/admin/users/:id',
    { preValidation: adminOnly, schema: { body: userBody } },
    async (request) => {
      const context = admin(request);
      const { body, params } = request;
      if (!isUuid(params.id)) throw userNotFound();
      const email = body.email === undefined ? undefined : input.validEmail(body.email);
      const passwordHash = await passwordHashOf(context, body.password);
      const user = await context.transaction(async (client) => {
        const existing = await userById(client, context.schema, params.id);
        if (!existing) throw userNotFound();
        const holder = email ? await userByEmail(client, context.schema, email) : undefined;
        if (holder && holder.id !== existing.id) throw emailExists();
        return updateUser(client, context.schema, existing.id, {
          email,
          passwordHash,
          confirmEmail: body.email_confirm === true,
          userMetadata: input.validMetadata(body.user_metadata),
          appMetadata: input.validMetadata(body.app_metadata),
        });
      });
      return userJson(user);
    },
  );

  app.delete<IdParams>('/admin/users/:id', { preValidation: adminOnly }, async (request) => {
    const context = admin(request);
    if (!isUuid(request.params.id)) throw userNotFound();
    const { rowCount } = await context.transaction((client) =>
      client.query(`delete from ${context.schema}.users where id = $1`, [request.params.id]),
    );
    if (!rowCount) throw userNotFound();
    return {};
  });
}

