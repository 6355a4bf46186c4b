/**
 * A project's APIs, at `/p/<ref>/…` (and at `<ref>.<CANOPY_API_DOMAIN>/…`, rewritten to that), laid out as a
 * Supabase project's so that Supabase clients work. Every request first resolves the project (a paused, deleted or
 * unknown one is refused before any work) and verifies the caller's key or token with the project's own secret.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LIMITS } from '../graphql/common.ts';
import { codeRefusedGraphQLRequests } from '../http/graphql-errors.ts';
import { type AuthDependencies, authRoutes } from './auth/routes.ts';
import { identifyProjectCaller } from './callers.ts';
import type { S3Settings } from '../config.ts';
import { anonymousCaller } from './storage/context.ts';
import { storageRoutes } from './storage/routes.ts';
import type { OrganizationDatabases, ProjectDatabase } from './databases.ts';
import type { ProjectGraphQL, ProjectGraphQLInstance } from './graphql.ts';
import { type ProjectEntry, type ProjectRegistry, refuseUnlessActive } from './registry.ts';
import type { ProjectTraffic } from './traffic.ts';

export interface ProjectApiDependencies extends AuthDependencies {
  registry: ProjectRegistry;
  databases: OrganizationDatabases;
  graphql: ProjectGraphQL;
  traffic: ProjectTraffic;
  s3?: S3Settings;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** `keyless`: a plain link's request (public objects, signed URLs), which spends none of the project's rate. */
    project?: { entry: ProjectEntry; database: ProjectDatabase; keyless: boolean };
    graphqlInstance?: ProjectGraphQLInstance;
  }
  interface FastifyContextConfig {
    /** Browsers open the route as a plain link, with no API key: served as the anon caller, unmetered. */
    apikeyOptional?: boolean;
  }
}

export async function projectApi(app: FastifyInstance, dependencies: ProjectApiDependencies) {
  const { registry, databases, graphql, traffic } = dependencies;
  // These APIs answer JSON to apps, not pages to browsers: the console's security headers (CSP and the like) protect
  // nothing here, and @fastify/helmet would rebuild them on every request.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, helmet: { skipRoute: true } } as typeof route.config;
  });
  app.addHook('onRequest', async (request) => {
    const { ref } = request.params as { ref: string };
    const entry = await registry.get(ref);
    refuseUnlessActive(entry);
    const query = request.query as { apikey?: string };
    const apikey = (request.headers.apikey as string | undefined) ?? query.apikey;
    // Public objects, signed URLs and mailed links are opened as plain links: without a key they are the anon
    // caller's, counted as the project's usage but not spending its rate, which strangers must not be able to exhaust.
    if (!apikey && !request.headers.authorization && request.routeOptions.config.apikeyOptional) {
      traffic.count(entry);
      request.projectCaller = anonymousCaller(entry.ref);
      request.project = { entry, database: databases.project(entry), keyless: true };
      return;
    }
    request.projectCaller = await identifyProjectCaller(entry, apikey, request.headers.authorization);
    // Only requests with this project's key spend its rate: strangers cannot exhaust it.
    traffic.admit(entry);
    request.project = { entry, database: databases.project(entry), keyless: false };
  });

  await app.register(authRoutes, { prefix: '/auth/v1', config: dependencies.config, ownerPool: dependencies.ownerPool });
  await app.register(storageRoutes, { prefix: '/storage/v1', s3: dependencies.s3 });

  // Live subscriptions outlive their request: they look the project up again (paused, deleted, secret rotated?).
  const instanceOf = ({ project }: FastifyRequest) =>
    graphql.get(project!.entry, project!.database, () => registry.get(project!.entry.ref));
  app.post('/graphql/v1', { bodyLimit: LIMITS.bodyBytes, onSend: codeRefusedGraphQLRequests }, async (request, reply) =>
    (await instanceOf(request)).post(request, reply),
  );
  app.route({
    method: 'GET',
    url: '/graphql/v1',
    // Built before the upgrade, so that the socket's first message (connection_init) finds its handler ready.
    preHandler: async (request) => {
      request.graphqlInstance = await instanceOf(request);
    },
    handler: (request, reply) => request.graphqlInstance!.get(request, reply),
    wsHandler(this: FastifyInstance, socket, request) {
      request.graphqlInstance!.websocket.call(this, socket, request);
    },
  });
}

/** `<ref>.<domain>/x` is `/p/<ref>/x`. */
export function hostRewriter(apiDomain: string | undefined) {
  if (!apiDomain) return undefined;
  const pattern = new RegExp(`^([a-z]{20})\\.${apiDomain.replace(/\./g, '\\.')}(:\\d+)?$`);
  return (host: string | undefined, url: string) => {
    const ref = pattern.exec(host ?? '')?.[1];
    return ref ? `/p/${ref}${url}` : url;
  };
}
