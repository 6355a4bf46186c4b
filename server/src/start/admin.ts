/**
 * `npm run admin -- <command>`: what only the operator may do, from the machine Canopy runs on.
 *   grant-platform-admin <email>    the user can see every organization and user
 *   revoke-platform-admin <email>
 *   list-platform-admins
 *   add-cluster <name> <superuser-url> [max-databases]   a Postgres server for organization databases
 *   list-clusters
 *   migrate-tenants                   roll new db/tenant/ files out to every organization and project (a job)
 *   reconcile [--repair]              compare tenant objects with the control database (a job; see its report)
 * Changes to users are in the audit log, with no actor (the operator).
 */
import { listClusters, registerCluster } from '../projects/clusters.ts';
import { SecretBox } from '../secrets.ts';
import { enqueueFleetMigration } from '../../../worker/src/runner.ts';
import { boot } from './boot.ts';

const [command, subject, ...rest] = process.argv.slice(2);
const platform = await boot({ migrate: false });
const { ownerPool } = platform;
let exitCode = 0;
try {
  switch (command) {
    case 'grant-platform-admin':
    case 'revoke-platform-admin': {
      const email = subject;
      const { rowCount } = await ownerPool.query('update app_public.users set is_platform_admin = $2 where email = $1', [
        email ?? '',
        command === 'grant-platform-admin',
      ]);
      if (rowCount === 0) throw new Error(`No user has the email ${JSON.stringify(email)}`);
      console.log(`${email} is ${command === 'grant-platform-admin' ? 'now' : 'no longer'} a platform admin`);
      break;
    }
    case 'list-platform-admins': {
      const { rows } = await ownerPool.query('select email from app_public.users where is_platform_admin order by email');
      for (const row of rows) console.log(row.email);
      break;
    }
    case 'add-cluster': {
      const [name, adminUrl, maxDatabases = '1000'] = [subject, ...rest];
      if (!name || !adminUrl) throw new Error('Usage: npm run admin -- add-cluster <name> <superuser-url> [max-databases]');
      const box = new SecretBox(platform.services.secrets.masterKey);
      await registerCluster(ownerPool, box, { name, adminUrl, maxDatabases: Number(maxDatabases) });
      console.log(`The cluster ${name} takes up to ${maxDatabases} organization databases`);
      break;
    }
    case 'migrate-tenants': {
      await enqueueFleetMigration(ownerPool);
      console.log('The worker is rolling db/tenant/ out to every organization and project');
      break;
    }
    case 'reconcile': {
      const repair = subject === '--repair';
      await ownerPool.query(`select graphile_worker.add_job('platform__reconcile', $1::json)`, [JSON.stringify({ repair })]);
      console.log(`The worker is reconciling${repair ? ' and repairing' : ''}; the report goes to app_private.reconcile_reports`);
      break;
    }
    case 'list-clusters': {
      for (const cluster of await listClusters(ownerPool)) {
        console.log(`${cluster.name}\t${cluster.databases}/${cluster.max_databases} organization databases`);
      }
      break;
    }
    default:
      throw new Error(
        'Usage: npm run admin -- grant-platform-admin|revoke-platform-admin <email> | list-platform-admins | ' +
          'add-cluster <name> <superuser-url> [max-databases] | list-clusters | migrate-tenants | reconcile [--repair]',
      );
  }
} catch (error) {
  console.error((error as Error).message);
  exitCode = 1;
} finally {
  await Promise.all([ownerPool.end(), platform.apiPool.end()]);
  await platform.services.stop();
}
process.exit(exitCode);
