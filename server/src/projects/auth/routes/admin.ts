/**
 * The admin API, for servers holding the service_role key: /admin/users to create, list, get, update and delete
 * users (admins may set app_metadata, merged with the provider keys, and confirm addresses directly), and
 * /admin/generate_link for the links the mails would carry, to send through the app's own mailer, and /invite.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuthContext, authContext, requireServiceRole } from '../context.ts';
import { emailExists, userNotFound, validationFailed } from '../errors.ts';
import * as input from '../input.ts';
import { INVITE_MAIL, issueToken, mailToken, type TokenKind, verifyLink } from '../one-time-tokens.ts';
import { checkPassword, hashPassword } from '../passwords.ts';
import { resolveRedirect } from '../redirects.ts';
import type { AuthDependencies } from '../routes.ts';
import { userJson } from '../shapes.ts';
import { loadSettings } from '../settings.ts';
import { insertOrFindUser, insertUser, isUuid, updateUser, userByEmail, userById } from '../users.ts';

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

/** generate_link's types: the token each makes, and whether a user is created for an unknown address. */
const LINK_TYPES: Record<string, { kind: TokenKind; creates: boolean }> = {
  signup: { kind: 'confirmation', creates: true },
  invite: { kind: 'confirmation', creates: true },
  magiclink: { kind: 'magiclink', creates: true },
  recovery: { kind: 'recovery', creates: false },
};

interface LinkBody {
  type?: string;
  email?: string;
  password?: string;
  data?: Record<string, unknown>;
  redirect_to?: string;
}

type IdParams = { Params: { id: string } };

export function adminRoutes(app: FastifyInstance, { config, ownerPool }: AuthDependencies) {
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

  app.post<{ Body: LinkBody }>(
    '/admin/generate_link',
    {
      preValidation: adminOnly,
      schema: {
        body: {
          type: 'object',
          properties: {
            type: { type: 'string', maxLength: 32 },
            email: input.email,
            password: input.password,
            data: input.metadata,
            redirect_to: { type: 'string', maxLength: 2048 },
          },
        },
      },
    },
    async (request) => {
      const context = admin(request);
      const { body } = request;
      const type = body.type ?? '';
      const linkType = LINK_TYPES[type];
      if (!linkType) throw validationFailed(`type must be one of ${Object.keys(LINK_TYPES).join(', ')}`);
      const email = input.validEmail(body.email);
      if (type === 'signup' && !body.password) throw validationFailed('A signup link needs a password');
      const passwordHash = type === 'signup' ? await passwordHashOf(context, body.password) : undefined;
      const settings = await context.transaction((client) => loadSettings(client, context.schema));
      const { user, issued } = await context.transaction(async (client) => {
        const existing = await userByEmail(client, context.schema, email);
        if (existing && type === 'signup') throw emailExists();
        if (!existing && !linkType.creates) throw userNotFound();
        const user =
          existing ??
          (await insertOrFindUser(client, context.schema, {
            email,
            passwordHash: passwordHash ?? null,
            confirmed: false,
            userMetadata: input.validMetadata(body.data),
          }));
        return { user, issued: await issueToken(context, client, user, linkType.kind) };
      });
      const redirectTo = resolveRedirect(settings, body.redirect_to);
      // GoTrue's shape: the user, with the link's properties beside its fields (supabase-js splits them).
      return {
        ...userJson(user),
        action_link: verifyLink(context, issued, redirectTo, type),
        email_otp: issued.code,
        hashed_token: issued.token,
        verification_type: type,
        redirect_to: redirectTo ?? null,
      };
    },
  );

  // auth.admin.inviteUserByEmail: the user, created if new, is mailed a link that confirms the address and signs in.
  app.post<{ Body: { email?: string; data?: Record<string, unknown> }; Querystring: { redirect_to?: string } }>(
    '/invite',
    { preValidation: adminOnly, schema: { body: { type: 'object', properties: { email: input.email, data: input.metadata } } } },
    async (request) => {
      const context = admin(request);
      const email = input.validEmail(request.body.email);
      const userMetadata = input.validMetadata(request.body.data);
      const settings = await context.transaction((client) => loadSettings(client, context.schema));
      const { user, issued } = await context.transaction(async (client) => {
        const user =
          (await userByEmail(client, context.schema, email)) ??
          (await insertOrFindUser(client, context.schema, { email, passwordHash: null, confirmed: false, userMetadata }));
        if (user.email_confirmed_at) throw emailExists();
        return { user, issued: await issueToken(context, client, user, 'confirmation') };
      });
      await mailToken(context, ownerPool, issued, resolveRedirect(settings, request.query.redirect_to), INVITE_MAIL);
      return userJson(user);
    },
  );

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

