/**
 * The control API: PostGraphile 5 over `app_public`, as canopy_visitor (signed in) or canopy_anonymous, with the
 * caller's identity in transaction-local settings that the RLS policies read.
 */
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { SafeError } from 'postgraphile/grafast';
import type {} from 'postgraphile/grafserv/node';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import type { Config } from '../config.ts';
import { KeepIdPlugin, LIMITS, LimitsPlugin, maskError } from '../graphql/common.ts';
import type { ProjectCredentialsService } from '../projects/credentials.ts';
import type { ProjectStorageForMembers } from '../projects/storage-members.ts';
import type { ProjectUsersService } from '../projects/users.ts';
import { AccountFieldsPlugin } from './account-fields.ts';
import type { Accounts, Identity, RequestOrigin } from './accounts.ts';
import { ProjectFieldsPlugin } from './project-fields.ts';
import { ProjectSqlFieldsPlugin } from './project-sql-fields.ts';
import type { ProjectSqlService } from '../projects/sql.ts';
import { ProjectAuthFieldsPlugin } from './project-auth-fields.ts';
import type { PlatformAdministration } from './platform.ts';
import { PlatformFieldsPlugin } from './platform-fields.ts';
import { bearerToken, type Caller, clearSessionCookie, requestOrigin, setSessionCookie } from './credentials.ts';

declare global {
  namespace Grafast {
    interface Context {
      canopy: {
        accounts: Accounts;
        projects: ProjectCredentialsService;
        projectUsers: ProjectUsersService;
        projectStorage: ProjectStorageForMembers;
        projectSql: ProjectSqlService;
        platform: PlatformAdministration;
        identity?: Identity;
        origin: RequestOrigin;
        /** No-ops over WebSocket, where there is no HTTP response to set a cookie on. */
        setSessionCookie(token: string): void;
        clearSessionCookie(): void;
      };
    }
  }
}

export function createControlGraphQL(options: {
  config: Config;
  pool: pg.Pool;
  accounts: Accounts;
  projects: ProjectCredentialsService;
  projectUsers: ProjectUsersService;
  projectStorage: ProjectStorageForMembers;
  projectSql: ProjectSqlService;
  platform: PlatformAdministration;
}) {
  const { config, pool, accounts, projects, projectUsers, projectStorage, projectSql, platform } = options;
  // Kept to release on close: it holds the LISTEN connection subscriptions use.
  const pgService = makePgService({ pool, schemas: ['app_public'] });
  const preset: GraphileConfig.Preset = {
    // Short names (`organizations`, `organization.memberships`) instead of `allOrganizations`, `…ByOrganizationId`.
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    // Keep `id` as the UUID primary key instead of Relay global ids: simpler for scripts and the console.
    disablePlugins: ['NodePlugin'],
    plugins: [KeepIdPlugin, AccountFieldsPlugin, ProjectFieldsPlugin, ProjectSqlFieldsPlugin, ProjectAuthFieldsPlugin, PlatformFieldsPlugin, LimitsPlugin],
    pgServices: [pgService],
    schema: { dontSwallowErrors: true },
    grafserv: {
      graphqlPath: '/graphql',
      websockets: true,
      graphiql: true,
      graphiqlPath: '/graphiql',
      graphiqlOnGraphQLGET: false,
      maxRequestLength: LIMITS.bodyBytes,
      maskError,
    },
    grafast: {
      async context(requestContext) {
        const http = requestContext.fastifyv5;
        if (http) {
          return callerContext(http.request.caller ?? { origin: requestOrigin(http.request) }, {
            setSessionCookie: (token) => setSessionCookie(http.reply, config, token),
            clearSessionCookie: () => clearSessionCookie(http.reply),
          });
        }
        // A WebSocket operation: the connection_init payload's token wins over the upgrade request's cookie.
        const upgrade = requestContext.ws?.request as unknown as FastifyRequest | undefined;
        let caller: Caller = upgrade?.caller ?? { origin: { ip: '', userAgent: '' } };
        const token = bearerToken(requestContext.ws?.normalizedConnectionParams?.authorization);
        if (token) {
          const identity = await accounts.authenticate(token);
          if (!identity) throw new SafeError('The token is unknown, expired or revoked', { code: 'INVALID_TOKEN' });
          caller = { ...caller, identity };
        }
        return callerContext(caller, { setSessionCookie: () => {}, clearSessionCookie: () => {} });
      },
    },
  };

  function callerContext(
    caller: Caller,
    cookies: Pick<Grafast.Context['canopy'], 'setSessionCookie' | 'clearSessionCookie'>,
  ): Partial<Grafast.Context> {
    const { identity, origin } = caller;
    return {
      pgSettings: {
        role: identity ? 'canopy_visitor' : 'canopy_anonymous',
        'canopy.user_id': identity?.userId,
        'canopy.session_id': identity?.sessionId,
        'canopy.client_ip': origin.ip || undefined,
        'canopy.user_agent': origin.userAgent || undefined,
        statement_timeout: LIMITS.statementTimeout,
      },
      canopy: { accounts, projects, projectUsers, projectStorage, projectSql, platform, identity, origin, ...cookies },
    };
  }

  const pgl = postgraphile(preset);
  return {
    pgl,
    async release() {
      await pgl.release();
      await pgService.release?.();
    },
  };
}
