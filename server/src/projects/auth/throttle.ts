/**
 * Failed password sign-ins are counted per address in the project's auth schema (whether or not a user has it):
 * from the `slowAfter`-th failure in the window each attempt is slowed down, and after `maxFailures` the address is
 * refused until the window has passed. The platform's own limits (CANOPY_SIGNIN_*) apply.
 */
import type { Config } from '../../config.ts';
import type { AuthContext } from './context.ts';
import { AuthError } from './errors.ts';

type Throttle = Config['signInThrottle'];

export async function awaitSignInTurn(context: AuthContext, throttle: Throttle, email: string): Promise<void> {
  const { rows } = await context.transaction((client) =>
    client.query<{ failures: number }>(
      `select failures from ${context.schema}.sign_in_failures
       where email = lower($1) and first_failure_at > now() - make_interval(mins => $2)`,
      [email, throttle.windowMinutes],
    ),
  );
  const failures = rows[0]?.failures ?? 0;
  if (failures >= throttle.maxFailures) {
    throw new AuthError(
      429,
      'over_request_rate_limit',
      `Too many failed sign-ins for this email; try again in ${throttle.windowMinutes} minutes`,
    );
  }
  if (failures >= throttle.slowAfter) {
    await new Promise((resolve) => setTimeout(resolve, throttle.slowMs * (failures - throttle.slowAfter + 1)));
  }
}

export async function recordSignInFailure(context: AuthContext, throttle: Throttle, email: string): Promise<void> {
  await context.transaction((client) =>
    client.query(
      `insert into ${context.schema}.sign_in_failures as f (email, failures, first_failure_at) values (lower($1), 1, now())
       on conflict (email) do update set
         failures = case when f.first_failure_at > now() - make_interval(mins => $2) then f.failures + 1 else 1 end,
         first_failure_at = case when f.first_failure_at > now() - make_interval(mins => $2)
                                 then f.first_failure_at else now() end`,
      [email, throttle.windowMinutes],
    ),
  );
}

export async function clearSignInFailures(context: AuthContext, email: string): Promise<void> {
  await context.transaction((client) =>
    client.query(`delete from ${context.schema}.sign_in_failures where email = lower($1)`, [email]),
  );
}
