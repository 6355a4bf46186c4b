/**
 * `/org/:slug/plan`: what the organization's plan allows next to the other plans, and how much of it is used. Plans
 * are set by the installation's operator: the API has no plan change.
 */
import { createMemo, Show } from 'solid-js';
import { createLiveQuery } from '../../graphql/live.ts';
import { useOrganization, type Organization } from '../../layout/organization.tsx';
import { PageHeader, Section } from '../../ui/misc.tsx';
import { QueryState } from '../../ui/states.tsx';
import { PlanComparison, type Plan } from './plan/comparison.tsx';
import { ProjectUsage, type UsageProject } from './plan/usage.tsx';
import './plan/plan.css';

const PLAN_PAGE = `query PlanPage($organizationId: UUID!) {
  plans(orderBy: PRIMARY_KEY_ASC) {
    nodes { id name maxProjects maxDatabaseBytes maxStorageBytes apiRequestsPerSecond sortOrder }
  }
  organization(id: $organizationId) {
    id planId
    projects(orderBy: PRIMARY_KEY_ASC) { nodes { id ref name status } }
  }
}`;

interface PlanPageData {
  plans: { nodes: Plan[] } | null;
  organization: { id: string; planId: string; projects: { nodes: UsageProject[] } } | null;
}

export function Plan() {
  const { organization } = useOrganization();
  const [result, refetch] = createLiveQuery<PlanPageData>({
    query: PLAN_PAGE,
    variables: () => ({ organizationId: organization().id }),
  });
  return (
    <>
      <PageHeader title="Plan and limits" description={`What ${organization().name}’s plan allows, and how much of it is used.`} />
      <QueryState result={result} retry={() => refetch({ requestPolicy: 'network-only' })}>
        {(data) => {
          const plans = createMemo(() => [...(data().plans?.nodes ?? [])].sort((a, b) => a.sortOrder - b.sortOrder));
          const current = () => data().organization?.planId ?? organization().plan.id;
          // create_project counts every project that is not deleted against the limit.
          const projects = () => (data().organization?.projects.nodes ?? []).filter((project) => project.status !== 'deleted');
          return (
            <>
              <CurrentPlan plan={organization().plan} projectCount={projects().length} />
              <Section
                title="Usage by project"
                description="Storage is counted per project, against the plan’s storage limit. The API does not report database size or request counts yet."
              >
                <ProjectUsage projects={projects()} storageLimit={organization().plan.maxStorageBytes} />
              </Section>
              <Section title="Compare plans" description="Plans are set by whoever runs this Canopy installation; ask them to change yours.">
                <PlanComparison plans={plans()} current={current()} />
              </Section>
            </>
          );
        }}
      </QueryState>
    </>
  );
}

function CurrentPlan(props: { plan: Organization['plan']; projectCount: number }) {
  const ratio = () => Math.min(1, props.projectCount / Math.max(1, props.plan.maxProjects));
  return (
    <Section title={`${props.plan.name} plan`} description="The organization’s current plan.">
      <div class="plan-usage">
        <div class="plan-meter">
          <div class="row plan-meter-label">
            <span id="plan-projects-label">Projects</span>
            <strong>
              {props.projectCount} of {props.plan.maxProjects}
            </strong>
          </div>
          <div
            class="meter"
            role="meter"
            aria-labelledby="plan-projects-label"
            aria-valuemin={0}
            aria-valuemax={props.plan.maxProjects}
            aria-valuenow={props.projectCount}
            aria-valuetext={`${props.projectCount} of ${props.plan.maxProjects} projects`}
          >
            <div class={`meter-fill ${ratio() >= 1 ? 'meter-full' : ''}`} style={{ width: `${ratio() * 100}%` }} />
          </div>
          <Show when={props.projectCount >= props.plan.maxProjects}>
            <p class="muted">The plan’s limit is reached: a new project needs a project deleted or a bigger plan.</p>
          </Show>
        </div>
      </div>
    </Section>
  );
}
