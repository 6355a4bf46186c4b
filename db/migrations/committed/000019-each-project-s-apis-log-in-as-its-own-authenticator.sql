--! Previous: sha1:4b4bcc8d730919baf1e92cfdb0f2b2e2b6a752ce
--! Hash: sha1:b05ff3c70da94809defa623720cfdee348fd5070
--! Message: Each project's APIs log in as its own authenticator

-- Each project's APIs log in as the project's own authenticator (p_<ref>_authenticator), which can become only that
-- project's API roles: Postgres checks SET ROLE against the login, so a shared organization login would let SQL
-- written by one project's DBA become another project's roles. Its password is generated and sealed by the worker.
alter table app_private.project_secrets add column if not exists authenticator_password_sealed text;
