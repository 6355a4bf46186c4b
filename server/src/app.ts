/**
 * The Canopy server: one Fastify app with the control API (`/graphql`, HTTP and WebSocket) and every project's APIs
 * (`/p/<ref>/…`) and the web console at `/`. Built from the configuration and the running services; entry points in
 * start/.
 */
import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { grafserv } from 'postgraphile/grafserv/fastify/v5';
import type { Config } from './config.ts';
import { Accounts } from './control/accounts.ts';
import { makeIdentify } from './control/credentials.ts';
import { createControlGraphQL } from './control/graphql.ts';
import { PlatformAdministration } from './control/platform.ts';
import { registerConsole } from './console.ts';
import { CanopyError } from './errors.ts';
import type { Services } from './local/services.ts';
import { ProjectDataAccess } from './projects/access.ts';
import { hostRewriter, projectApi } from './projects/api.ts';
import { registerProjectExplorer } from './projects/explorer.ts';
import { ProjectCredentialsService } from './projects/credentials.ts';
import { OrganizationDatabases } from './projects/databases.ts';
import { ProjectGraphQL } from './projects/graphql.ts';
import { ProjectRegistry } from './projects/registry.ts';
import { ProjectOwnerPools, ProjectSqlService } from './projects/sql.ts';
import { ProjectTraffic } from './projects/traffic.ts';
import { ProjectStorageForMembers } from './projects/storage-members.ts';
import { ProjectUsersService } from './projects/users.ts';
import { SecretBox } from './secrets.ts';
import { createS3Client } from './storage/s3.ts';
import { codeRefusedGraphQLRequests } from './http/graphql-errors.ts';
import { requireUtf8Json } from './http/json.ts';

export interface AppDependencies {
  config: Config;
  /** Acts as canopy_owner: account operations only. */
  ownerPool: pg.Pool;
  /** Logs in as canopy_authenticator: the control API. */
  apiPool: pg.Pool;
  services: Pick<Services, 'database' | 'secrets' | 's3'>;
  logger?: boolean;
}

export async function createApp({ config, ownerPool, apiPool, services, logger = false }: AppDependencies) {
  const rewrite = hostRewriter(config.apiDomain);
  const app = Fastify({
    logger,
    trustProxy: config.production,
    bodyLimit: 1_048_576,
    rewriteUrl: rewrite && ((request: IncomingMessage) => rewrite(request.headers.host, request.url ?? '/')),
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof CanopyError ? error : fromFastifyError(error);
    if (!known) request.log.error(error);
    const { code, message, status } = known ?? new CanopyError('INTERNAL_ERROR', 'Something went wrong on our side', 500);
    // The GraphQL endpoint answers in GraphQL's shape, everything else as { code, message }.
    const body = /^(\/p\/[a-z]+)?\/graphql/.test(request.url) ? { errors: [{ message, extensions: { code } }] } : { code, message };
    reply.status(status).send(body);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      // Ruru (the GraphQL explorer at /graphiql) boots from an inline script.
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'worker-src': ["'self'", 'blob:'],
        // Only where Canopy is served over HTTPS: on plain HTTP it would break every request from the page.
        'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
      },
    },
  });
  const consoleOrigins = [new URL(config.publicUrl).origin, ...config.corsOrigins];
  await app.register(cors, {
    // Project APIs are called by apps on any origin, with keys, never cookies; the control API only by the console.
    delegator: (request, callback) =>
      callback(null, request.url?.startsWith('/p/') ? { origin: true } : { origin: consoleOrigins, credentials: true }),
  });
  requireUtf8Json(app);
  await app.register(cookie);
  await app.register(websocket);

  // What the control API and the project APIs share: what is known of projects, and connections to their databases.
  const box = new SecretBox(services.secrets.masterKey);
  const graphql = new ProjectGraphQL(config.apiCacheMb);
  const registry = new ProjectRegistry(ownerPool, box, services.database.rootUrl);
  const databases = new OrganizationDatabases(
    { maxConnections: config.organizationPoolSize, projectPoolSize: config.projectPoolSize },
    (refs) => refs.forEach((ref) => graphql.forget(ref)),
  );
  // The SQL editor's connections as each project's owner login (projects/sql.ts).
  const ownerPools = new ProjectOwnerPools(ownerPool, box);
  await registry.listen((ref) => {
    graphql.forget(ref);
    databases.forget(ref);
    ownerPools.forget(ref);
  });
  const projects = { registry, databases, graphql, ownerPools };
  await registerControlApi(app, { config, ownerPool, apiPool, services, box, projects });
  await registerProjectApis(app, { config, ownerPool, services, projects });

  app.get('/health', async () => ({ status: 'ok' }));
  await registerConsole(app);
  return app;
}

interface SharedProjects {
  registry: ProjectRegistry;
  databases: OrganizationDatabases;
  graphql: ProjectGraphQL;
  ownerPools: ProjectOwnerPools;
}

type Dependencies = Omit<AppDependencies, 'logger'> & { box: SecretBox; projects: SharedProjects };

/** The control API at /graphql, as the signed-in platform user (cookie or bearer token) or nobody. */
async function registerControlApi(app: FastifyInstance, { config, ownerPool, apiPool, services, box, projects }: Dependencies) {
  const accounts = new Accounts(ownerPool, config);
  const access = new ProjectDataAccess(ownerPool, projects.registry, projects.databases);
  const controlApi = createControlGraphQL({
    config,
    pool: apiPool,
    accounts,
    projects: new ProjectCredentialsService(ownerPool, access, box, config, new URL(services.database.url).host),
    projectUsers: new ProjectUsersService(access),
    projectStorage: new ProjectStorageForMembers(access, createS3Client(services.s3), config),
    projectSql: new ProjectSqlService(access, projects.ownerPools),
    platform: new PlatformAdministration(ownerPool),
  });
  await app.register(async (control: FastifyInstance) => {
    control.addHook('onRequest', makeIdentify(accounts, config));
    control.addHook('onSend', codeRefusedGraphQLRequests);
    await controlApi.pgl.createServ(grafserv).addTo(control);
  });
  app.addHook('onClose', () => controlApi.release());
  app.addHook('onClose', () => projects.ownerPools.close());
}

/** Every project's APIs at /p/<ref>/…, sharing one registry, one pool per organization database and one cache. */
async function registerProjectApis(
  app: FastifyInstance,
  { config, ownerPool, services, projects }: Pick<Dependencies, 'config' | 'ownerPool' | 'services' | 'projects'>,
) {
  const { registry, databases, graphql } = projects;
  const traffic = new ProjectTraffic(ownerPool);
  registerProjectExplorer(app, registry);
  await app.register(projectApi, {
    prefix: '/p/:ref',
    registry,
    databases,
    graphql,
    traffic,
    config,
    ownerPool,
    s3: services.s3,
  });
  app.addHook('onClose', async () => {
    await traffic.close();
    await graphql.close();
    await databases.close();
    await registry.close();
  });
}

/** Fastify's own client errors (body too large, bad JSON, wrong content type) keep their status with a stable code. */
function fromFastifyError(error: FastifyError): CanopyError | undefined {
  const status = error.statusCode ?? 500;
  if (status >= 500) return undefined;
  const code =
    {
      FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
      FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
    }[error.code] ?? (error instanceof SyntaxError ? 'INVALID_JSON' : 'BAD_REQUEST');
  return new CanopyError(code, error.message, status);
}
