-- Runs as a superuser in a database graphile-migrate has just (re)created for canopy_owner.
revoke all on database :DATABASE_NAME from public;
grant connect on database :DATABASE_NAME to canopy_authenticator;
