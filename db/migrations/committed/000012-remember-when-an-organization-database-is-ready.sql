--! Previous: sha1:b267dd0398212450158f501ce8ee69878fdc161c
--! Hash: sha1:b6927dd3b6e49cbeddf57301edc6f711241f98ea
--! Message: Remember when an organization database is ready

/*
 * Once an organization's database is fully made, later projects skip that step (reconcile repairs it if it goes
 * missing): provisioning a project in an existing organization then touches only the project's own objects.
 */
alter table app_private.organization_databases add column ready_at timestamptz;
comment on column app_private.organization_databases.ready_at is 'When the database, its authenticator and db/tenant/org/ were last made whole.';
