--! Previous: sha1:b6927dd3b6e49cbeddf57301edc6f711241f98ea
--! Hash: sha1:96fc82c7e2e81488019bc5a00d761939d42e8530
--! Message: Request rates per plan and request counts per project

/*
 * Project API traffic: each plan allows a rate of requests per project, and every request is counted per project
 * and hour, for usage metering and billing later.
 */
alter table app_public.plans add column api_requests_per_second int;
comment on column app_public.plans.api_requests_per_second is
  'Requests per second a project''s APIs accept (bursts up to twice that); null is unlimited.';
update app_public.plans set api_requests_per_second = case id when 'free' then 100 when 'pro' then 1000 end;

create table app_private.project_usage (
  project_id uuid not null references app_public.projects on delete cascade,
  hour timestamptz not null,
  api_requests bigint not null default 0,
  primary key (project_id, hour)
);
