--! Previous: sha1:0caeac17d1c63a799683ef17f6bb8a73c5ee0ec7
--! Hash: sha1:4d2cae9b6d4cf11b7bda539c0dea9307db8ea63a
--! Message: Project lifecycle functions run as the owner

/*
 * The project lifecycle functions call into app_private, which API roles cannot reach: they run as the owner, like
 * every other function that checks the caller itself.
 */
alter function app_public.retry_project(uuid) security definer set search_path to pg_catalog, public, pg_temp;
alter function app_public.pause_project(uuid) security definer set search_path to pg_catalog, public, pg_temp;
alter function app_public.resume_project(uuid) security definer set search_path to pg_catalog, public, pg_temp;
alter function app_public.delete_project(uuid) security definer set search_path to pg_catalog, public, pg_temp;
alter function app_public.rotate_project_jwt_secret(uuid) security definer set search_path to pg_catalog, public, pg_temp;
alter function app_public.reset_project_database_password(uuid)
  security definer set search_path to pg_catalog, public, pg_temp;
