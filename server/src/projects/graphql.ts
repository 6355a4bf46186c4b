/**
 * Each project's GraphQL API (`/graphql/v1`): a PostGraphile instance over the project's schema, built on its first
 * request and kept in a cache bounded by memory (least recently used goes first). A change to the project, or DDL
 * in its schema, drops its instance: the next request builds it again from the new schema.
 *
 * Fastify routes cannot be added after listen(), so instances do not add routes: grafserv's `addTo` is given an
 * object that only captures its handlers, and the project routes call them.
 */
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/fastify/v5';
import type {} from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { KeepIdPlugin, LIMITS, LimitsPlugin, maskError } from '../graphql/common.ts';
import { identifyProjectCaller, type ProjectCaller } from './callers.ts';
import type { OrganizationDatabase } from './databases.ts';
import { LiveTablesPlugin, liveTables } from './live.ts';
import type { ProjectEntry } from './registry.ts';

/** Roughly what one instance holds (measured 3–6 MB with tens of schemas in a database): sizes the cache. */
const ESTIMATED_INSTANCE_MB = 6;

type Handler = (this: unknown, ...args: unknown[]) => unknown;

export interface ProjectGraphQLInstance {
  post: (request: FastifyRequest, reply: FastifyReply) => unknown;
  get: (request: FastifyRequest, reply: FastifyReply) => unknown;
  websocket: Handler;
  release(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for project API requests once the project is resolved and the caller verified. */
    projectCaller?: ProjectCaller;
  }
}

export class ProjectGraphQL {
  /** In use order: the first entry is the least recently used. */
  private readonly instances = new Map<string, Promise<ProjectGraphQLInstance>>();
  private readonly capacity: number;

  constructor(cacheMb: number) {
    this.capacity = Math.max(1, Math.floor(cacheMb / ESTIMATED_INSTANCE_MB));
  }

  get(project: ProjectEntry, database: OrganizationDatabase): Promise<ProjectGraphQLInstance> {
    let instance = this.instances.get(project.ref);
    if (instance) {
      this.instances.delete(project.ref);
    } else {
      instance = build(project, database);
      instance.catch(() => this.instances.delete(project.ref));
    }
    this.instances.set(project.ref, instance);
    while (this.instances.size > this.capacity) this.evict(this.instances.keys().next().value!);
    return instance;
  }

  forget(ref: string): void {
    if (this.instances.has(ref)) this.evict(ref);
  }

  get size(): number {
    return this.instances.size;
  }

  async close(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map(async (instance) => (await instance.catch(() => undefined))?.release()));
  }

  private evict(ref: string): void {
    const instance = this.instances.get(ref)!;
    this.instances.delete(ref);
    // Requests already holding it finish first: release waits for nothing, but nothing new will get it.
    void instance.then((built) => built.release()).catch(() => {});
  }
}

async function build(project: ProjectEntry, database: OrganizationDatabase): Promise<ProjectGraphQLInstance> {
  const schema = `p_${project.ref}`;
  const live = await liveTables(database.pool, schema);
  const pgl: PostGraphileInstance = postgraphile({
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    disablePlugins: ['NodePlugin'],
    plugins: [KeepIdPlugin, LimitsPlugin, ...(live.length > 0 ? [LiveTablesPlugin(schema, live)] : [])],
    pgServices: [makePgService({ pool: database.pool, pgSubscriber: database.subscriber, schemas: [schema] })],
    grafserv: {
      graphqlPath: '/graphql/v1',
      websockets: true,
      graphiql: false,
      graphiqlOnGraphQLGET: false,
      maxRequestLength: LIMITS.bodyBytes,
      maskError,
    },
    grafast: {
      async context(requestContext) {
        const request = (requestContext.fastifyv5?.request ?? requestContext.ws?.request) as FastifyRequest | undefined;
        let caller = request?.projectCaller;
        if (!caller) throw new Error('A project request reached GraphQL without a verified caller');
        // A WebSocket may name its user in graphql-ws's connection_init payload (browsers cannot set headers there).
        const params = requestContext.ws?.normalizedConnectionParams as Record<string, string> | undefined;
        if (params?.authorization) {
          const apikey = params.apikey ?? (request!.query as { apikey?: string }).apikey;
          caller = await identifyProjectCaller(project, apikey, params.authorization);
        }
        return {
          pgSettings: {
            role: caller.databaseRole,
            'request.jwt.claims': JSON.stringify(caller.claims),
            statement_timeout: LIMITS.statementTimeout,
          },
        };
      },
    },
  });
  const routes: RouteOptions[] = [];
  await pgl.createServ(grafserv).addTo({ route: (options: RouteOptions) => routes.push(options) } as never);
  await pgl.getSchema(); // build now, so that the first request does not wait inside a handler
  const post = routes.find((route) => route.method === 'POST')!;
  const get = routes.find((route) => route.method === 'GET' && route.wsHandler)!;
  return {
    post: post.handler as ProjectGraphQLInstance['post'],
    get: get.handler as ProjectGraphQLInstance['get'],
    websocket: get.wsHandler as Handler,
    release: async () => pgl.release(),
  };
}
