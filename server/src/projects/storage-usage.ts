/**
 * A project's storage usage, for its organization's members (and, later, quotas and invoices): objects and bytes
 * per bucket, read from the project's storage metadata when asked, so it is always current.
 */
import type { Identity } from '../control/accounts.ts';
import type { ProjectDataAccess } from './access.ts';

export interface BucketUsage {
  bucket: string;
  public: boolean;
  objects: number;
  bytes: number;
}

export class ProjectStorageUsage {
  constructor(private readonly access: ProjectDataAccess) {}

  async usage(identity: Identity, projectId: string) {
    const project = await this.access.authorize(identity, projectId, false);
    const buckets = await this.access.asService(project, async (client) => {
      const { rows } = await client.query<BucketUsage>(
        `select b.id as bucket, b.public, count(o.id)::int as objects, coalesce(sum(o.size), 0)::float8 as bytes
         from "p_${project.ref}_storage".buckets b left join "p_${project.ref}_storage".objects o on o.bucket_id = b.id
         group by b.id order by b.id`,
      );
      return rows;
    });
    return {
      objects: buckets.reduce((sum, bucket) => sum + bucket.objects, 0),
      bytes: buckets.reduce((sum, bucket) => sum + bucket.bytes, 0),
      buckets,
    };
  }
}
