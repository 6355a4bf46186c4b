/**
 * What every storage route needs about the project it serves: who is calling, SQL as that caller (so that the
 * project's RLS policies decide: transactions, or statements in one round trip) or, in one round trip, as its service
 * role (for what Storage itself must know, such as a bucket's limits), and the project's one S3 bucket, where each
 * object's bytes are kept under its id.
 */
import type { FastifyRequest } from 'fastify';
import type * as Minio from 'minio';
import type pg from 'pg';
import { projectBucket } from '../../storage/s3.ts';
import type { ProjectCaller } from '../callers.ts';
import type { Literal } from '../../db/transactions.ts';
import { asProjectCaller, statementsAsProjectCaller } from '../databases.ts';
import type { ProjectEntry } from '../registry.ts';
import { StorageError } from './errors.ts';

export interface StorageContext {
  ref: string;
  entry: ProjectEntry;
  jwtSecret: Uint8Array;
  caller: ProjectCaller;
  /** The quoted storage schema, for SQL text. */
  schema: string;
  /** S3: the project's bucket and the client. */
  s3: Minio.Client;
  s3Bucket: string;
  asCaller<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Statements as the caller or the service role, in one round trip and one transaction; values go in through
   * `literal`; their results come back in order. */
  statements(as: 'caller' | 'service', texts: (literal: Literal) => string[]): Promise<pg.QueryResult[]>;
}

/** The anon caller, for the routes that work without a key (public objects, signed URLs). */
export function anonymousCaller(ref: string): ProjectCaller {
  return { role: 'anon', databaseRole: `p_${ref}_anon`, claims: { role: 'anon', ref } };
}

export function serviceCaller(ref: string): ProjectCaller {
  return { role: 'service_role', databaseRole: `p_${ref}_service`, claims: { role: 'service_role', ref } };
}

export function storageContext(request: FastifyRequest, s3: Minio.Client): StorageContext {
  const { entry, database } = request.project!;
  if (!entry.jwtSecret) throw new StorageError(503, 'project_not_ready', 'The project is not ready yet');
  const ref = entry.ref;
  const caller = request.projectCaller ?? anonymousCaller(ref);
  return {
    ref,
    entry,
    jwtSecret: entry.jwtSecret,
    caller,
    schema: `"p_${ref}_storage"`,
    s3,
    s3Bucket: projectBucket(ref),
    asCaller: (work) => asProjectCaller(database.pool, caller, work),
    statements: (as, texts) => statementsAsProjectCaller(database.pool, as === 'caller' ? caller : serviceCaller(ref), texts),
  };
}

/** The S3 key of an object's bytes: its id, nothing a user chose. */
export function objectKey(id: string): string {
  return `objects/${id}`;
}
