/**
 * `npm run admin -- <command>`: what only the operator may do, from the machine Canopy runs on.
 *   grant-platform-admin <email>    the user can see every organization and user
 *   revoke-platform-admin <email>
 *   list-platform-admins
 * Each change is in the audit log, with no actor (the operator).
 */
import { boot } from './boot.ts';

const [command, email] = process.argv.slice(2);
const platform = await boot({ migrate: false });
const { ownerPool } = platform;
let exitCode = 0;
try {
  switch (command) {
    case 'grant-platform-admin':
    case 'revoke-platform-admin': {
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
    default:
      throw new Error('Usage: npm run admin -- grant-platform-admin|revoke-platform-admin <email> | list-platform-admins');
  }
} catch (error) {
  console.error((error as Error).message);
  exitCode = 1;
} finally {
  await Promise.all([ownerPool.end(), platform.apiPool.end()]);
  await platform.services.stop();
}
process.exit(exitCode);
