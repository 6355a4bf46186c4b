/**
 * Each project's GraphQL API (`/graphql/v1`): a PostGraphile instance over the project's schema, built on its first
 * request (introspecting only that project's schemas and the shared ones: introspection.ts) and kept in a cache
 * bounded by memory (least recently used goes first). A change to the project, or DDL in its schema, drops its
 * instance: the next request builds it again from the new schema.
 *
 * Fastify routes cannot be added after listen(), so instances do not add routes: grafserv's `addTo` is given an
 * object that only captures its handlers, and the project routes call them.
 */
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type pg from 'pg';
import { postgraphile, type PostGraphileInstance } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/fastify/v5';
import type {} from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { CanopyError } from '../errors.ts';
import { KeepIdPlugin, LIMITS, LimitsPlugin, maskError } from '../graphql/common.ts';
import { identifyProjectCaller, type ProjectCaller } from './callers.ts';
import type { ProjectDatabase } from './databases.ts';
import { makeProjectPgService } from './introspection.ts';
import { LiveFanout, type LiveFields, LiveTablesPlugin, liveTables } from './live.ts';
import { type ProjectEntry, refuseUnlessActive } from './registry.ts';

/**
 * What one instance holds on the heap. Its introspection reads only its project's schemas and the shared ones
 * (introspection.ts), so it depends on its own schema, not on how many projects share the database: `npm run
 * bench:api` measured 3.3 MiB for a project with one table whether 10 or 100 projects were in the database, and
 * 6.4 MiB with 21 tables (each with a foreign key), ~160 KiB per relation of the project's schema.
 */
const BASE_INSTANCE_MB = 3.1;
const MB_PER_RELATION = 0.16;

type Handler = (this: unknown, ...args: unknown[]) => unknown;

export interface ProjectGraphQLInstance {
  /** Its estimated share of the heap. */
  megabytes: number;
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

interface Cached {
  instance: Promise<ProjectGraphQLInstance>;
  /** The built instance's estimate; a small placeholder while it builds. */
  megabytes: number;
}

export class ProjectGraphQL {
  /** In use order: the first entry is the least recently used. */
  private readonly instances = new Map<string, Cached>();

  constructor(private readonly cacheMb: number) {}

  /** `current` looks the project up again, for live subscriptions, which outlive the request that started them. */
  get(project: ProjectEntry, database: ProjectDatabase, current: CurrentEntry): Promise<ProjectGraphQLInstance> {
    let cached = this.instances.get(project.ref);
    if (cached) {
      this.instances.delete(project.ref);
    } else {
      const building: Cached = { instance: build(project, database, current), megabytes: BASE_INSTANCE_MB };
      building.instance.then(
        (built) => {
          building.megabytes = built.megabytes;
          this.evictOverCapacity();
        },
        () => this.instances.get(project.ref) === building && this.instances.delete(project.ref),
      );
      cached = building;
    }
    this.instances.set(project.ref, cached);
    this.evictOverCapacity();
    return cached.instance;
  }

  /** Least recently used first, until the estimates fit (the most recent one always stays). */
  private evictOverCapacity(): void {
    let total = [...this.instances.values()].reduce((sum, cached) => sum + cached.megabytes, 0);
    while (total > this.cacheMb && this.instances.size > 1) {
      const [oldest, cached] = this.instances.entries().next().value!;
      total -= cached.megabytes;
      this.evict(oldest);
    }
  }

  forget(ref: string): void {
    if (this.instances.has(ref)) this.evict(ref);
  }

  async close(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map(async ({ instance }) => (await instance.catch(() => undefined))?.release()));
  }

  private evict(ref: string): void {
    const { instance } = this.instances.get(ref)!;
    this.instances.delete(ref);
    // Requests already holding it finish first: release waits for nothing, but nothing new will get it.
    void instance.then((built) => built.release()).catch(() => {});
  }
}

type CurrentEntry = () => Promise<ProjectEntry | undefined>;

/**
 * Why live subscribers of the instance built for `project` must stop, if they must: the project is no longer active,
 * or its JWT secret changed (their keys and tokens were signed with the old one).
 */
function liveRefusal(project: ProjectEntry, current: CurrentEntry) {
  return async (): Promise<CanopyError | undefined> => {
    // The control database unreachable for a moment is no reason to drop every subscriber.
    const now = await current().catch(() => project);
    try {
      refuseUnlessActive(now);
    } catch (error) {
      return error as CanopyError;
    }
    const [was, is] = [project.jwtSecret, now.jwtSecret];
    if (was && is && !Buffer.from(was).equals(Buffer.from(is))) {
      return new CanopyError('INVALID_JWT', "The project's JWT secret was rotated: its old keys and tokens are no longer valid", 401);
    }
    return undefined;
  };
}

async function build(project: ProjectEntry, database: ProjectDatabase, current: CurrentEntry): Promise<ProjectGraphQLInstance> {
  const schema = `p_${project.ref}`;
  const live = await liveTables(database.pool, schema);
  const liveFields: LiveFields = new Map();
  const fanout = new LiveFanout({ feeds: database.live, fields: liveFields, refusal: liveRefusal(project, current) });
  const { rows } = await database.pool.query<{ relations: number }>(
    `select count(*)::int as relations from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname = $1`,
    [schema],
  );
  /** The role and JWT claims a request runs with; on a WebSocket, the caller its live subscriptions are for. */
  const settingsFor = (caller: ProjectCaller, websocket: boolean) => ({
    pgSettings: {
      role: caller.databaseRole,
      'request.jwt.claims': JSON.stringify(caller.claims),
      statement_timeout: LIMITS.statementTimeout,
    },
    canopyLiveCaller: websocket ? caller : null,
    canopyLiveChanges: null,
  });
  const pgl: PostGraphileInstance = postgraphile({
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    disablePlugins: ['NodePlugin'],
    plugins: [
      KeepIdPlugin,
      LimitsPlugin,
      ...(live.length > 0 ? [LiveTablesPlugin(schema, live, liveFields), fanout.plugin()] : []),
    ],
    pgServices: [
      makeProjectPgService(project.ref, {
        // PostGraphile's pg adaptor only calls the pool's connect(): the project's pool, whichever is open now.
        pool: database.pool as unknown as pg.Pool,
        pgSubscriber: database.subscriber,
        schemas: [schema],
      }),
    ],
    grafserv: {
      graphqlPath: '/graphql/v1',
      websockets: true,
      graphiql: false,
      graphiqlOnGraphQLGET: false,
      maxRequestLength: LIMITS.bodyBytes,
      maskError,
    },
    grafast: {
      // Synchronous for HTTP requests: an async context would cost each of them a promise.
      context(requestContext) {
        const request = (requestContext.fastifyv5?.request ?? requestContext.ws?.request) as FastifyRequest | undefined;
        const caller = request?.projectCaller;
        if (!caller) throw new Error('A project request reached GraphQL without a verified caller');
        // A WebSocket may name its user in graphql-ws's connection_init payload (browsers cannot set headers there).
        const params = requestContext.ws?.normalizedConnectionParams as Record<string, string> | undefined;
        if (params?.authorization) {
          const apikey = params.apikey ?? (request!.query as { apikey?: string }).apikey;
          return identifyProjectCaller(project, apikey, params.authorization).then((user) => settingsFor(user, true));
        }
        return settingsFor(caller, !!requestContext.ws);
      },
    },
  });
  const routes: RouteOptions[] = [];
  await pgl.createServ(grafserv).addTo({ route: (options: RouteOptions) => routes.push(options) } as never);
  await pgl.getSchema(); // build now, so that the first request does not wait inside a handler
  const post = routes.find((route) => route.method === 'POST')!;
  const get = routes.find((route) => route.method === 'GET' && route.wsHandler)!;
  return {
    megabytes: BASE_INSTANCE_MB + rows[0].relations * MB_PER_RELATION,
    post: post.handler as ProjectGraphQLInstance['post'],
    get: get.handler as ProjectGraphQLInstance['get'],
    websocket: get.wsHandler as Handler,
    release: async () => {
      await fanout.release();
      await pgl.release();
    },
  };
}
