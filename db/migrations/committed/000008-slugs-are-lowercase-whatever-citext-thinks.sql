--! Previous: sha1:04187b375254f30dbf88caca4c36b5ff571bc376
--! Hash: sha1:0caeac17d1c63a799683ef17f6bb8a73c5ee0ec7
--! Message: Slugs are lowercase, whatever citext thinks

/*
 * A slug is lowercase: on citext, `~` ignores case, so the check compares the text itself.
 */
alter table app_public.organizations drop constraint organizations_slug_valid;
alter table app_public.organizations
  add constraint organizations_slug_valid check (slug::text ~ '^[a-z0-9-]{3,40}$');
