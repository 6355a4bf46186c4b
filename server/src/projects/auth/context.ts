/**
 * What every auth route needs about the project it serves: its ref, secret and URL, who is calling, and a way to
 * run SQL in the project's auth schema as the project's service role (never as a superuser).
 */
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config.ts';
import type { ProjectCaller } from '../callers.ts';
import { asProjectCaller } from '../databases.ts';
import { AuthError, notAdmin } from './errors.ts';

export interface AuthContext {
  ref: string;
  /** The project's API URL, as its credentials show it. */
  apiUrl: string;
  jwtSecret: Uint8Array;
  caller: ProjectCaller;
  origin: { ip: string; userAgent: string };
  /** The quoted auth schema, for SQL text. */
  schema: string;
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

export function authContext(request: FastifyRequest, config: Config): AuthContext {
  const { entry, database } = request.project!;
  if (!entry.jwtSecret) throw new AuthError(503, 'project_not_ready', 'The project is not ready yet');
  const ref = entry.ref;
  const service: ProjectCaller = {
    role: 'service_role',
    databaseRole: `p_${ref}_service`,
    claims: { role: 'service_role', ref },
  };
  return {
    ref,
    apiUrl: `${config.publicUrl}/p/${ref}`,
    jwtSecret: entry.jwtSecret,
    caller: request.projectCaller!,
    origin: { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 512) },
    schema: `"p_${ref}_auth"`,
    transaction: (work) => asProjectCaller(database.pool, service, work),
  };
}

/** Admin routes need the service_role key. */
export function requireServiceRole(context: AuthContext): void {
  if (context.caller.role !== 'service_role') throw notAdmin();
}
