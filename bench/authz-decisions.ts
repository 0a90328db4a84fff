// Benchmark: in-process permission decisions (AC-1, AC-3; issue targets in docs/benchmarks.md).
//
// Subject: `decide(snapshot, principal, permission, resource, facts)` — the function every route's
// authorization calls — on a compiled snapshot of one organization: 1,000 members, 50 projects with
// 4 environments each, every member bound to a role at the organization, a project or an
// environment. Two cases: a plain role binding, and a binding with an IP range and MFA condition.
// Baseline: node-casbin's RBAC-with-domains model over the same users, roles and grants,
// `enforceSync(user, domain, object, action)`, in the same process, alternating rounds.
import { newEnforcer, newModelFromString } from 'casbin';
import { compileSnapshot } from '../src/modules/access/access-cache.ts';
import { decide } from '../src/modules/access/evaluator.ts';
import { BUILT_IN_ROLES, type Permission } from '../src/modules/access/permissions.ts';
import type { RequestFacts, UserPrincipal } from '../src/modules/access/principal.ts';
import { formatRate, formatRatio, measureRounds, table, type Benchmark, type Verdict } from './support.ts';

const SETTINGS = { members: 1_000, projects: 50, environmentsPerProject: 4, rounds: 5, ops: 400_000, warmupOps: 100_000 };
const TARGETS = { plain: 1_000_000, conditioned: 200_000, casbinRatio: 5 };

const ORG = '018f0000-0000-7000-8000-000000000000';
const id = (kind: number, n: number) => `018f${kind.toString(16).padStart(4, '0')}-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

function fixture() {
  const projects = Array.from({ length: SETTINGS.projects }, (_, i) => id(1, i));
  const environments = projects.flatMap((project, p) => Array.from({ length: SETTINGS.environmentsPerProject }, (_, e) => ({ id: id(2, p * 100 + e), project_id: project })));
  const roles = ['viewer', 'security_analyst', 'tenant_admin'] as const;
  const members = Array.from({ length: SETTINGS.members }, (_, i) => id(3, i));
  const bindings = members.flatMap((member, i) => {
    const role = roles[i % roles.length]!;
    const project = projects[i % projects.length]!;
    const env = environments[i % environments.length]!;
    const base = { role, permissions: BUILT_IN_ROLES[role].permissions, conditions: null, expires_at: null, grant_id: null };
    return [
      { ...base, id: id(4, i * 3), principal_id: member, project_id: null, environment_id: null },
      { ...base, id: id(4, i * 3 + 1), principal_id: member, project_id: project, environment_id: null },
      { ...base, id: id(4, i * 3 + 2), principal_id: member, project_id: env.project_id, environment_id: env.id },
    ];
  });
  // The conditioned principal: its only binding requires an office network and MFA.
  const conditioned = id(3, 999_999);
  bindings.push({
    id: id(4, 999_999),
    principal_id: conditioned,
    role: 'viewer',
    permissions: BUILT_IN_ROLES.viewer.permissions,
    project_id: null,
    environment_id: null,
    conditions: { ip: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'], mfa: true } as never,
    expires_at: null,
    grant_id: null,
  });
  members.push(conditioned);
  const snapshot = compileSnapshot({ tenantId: ORG, generatedAt: new Date(), members, environments, bindings, policy: undefined });
  return { snapshot, projects, members, conditioned, bindings };
}

const user = (userId: string, mfa: boolean): UserPrincipal => ({
  kind: 'user',
  userId,
  sessionId: userId,
  email: '',
  displayName: '',
  isPlatformAdmin: false,
  authMethods: mfa ? ['pwd', 'otp'] : ['pwd'],
  authenticatedAt: new Date(),
});

async function casbinEnforcer(data: ReturnType<typeof fixture>) {
  const model = newModelFromString(`
[request_definition]
r = sub, dom, obj, act
[policy_definition]
p = sub, dom, obj, act
[role_definition]
g = _, _, _
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
`);
  const enforcer = await newEnforcer(model);
  // The same role definitions as grants on the organization object; members get their org-level role.
  for (const role of ['viewer', 'security_analyst', 'tenant_admin'] as const) {
    for (const permission of BUILT_IN_ROLES[role].permissions) {
      const [obj = '', act = ''] = permission.split('.');
      await enforcer.addPolicy(role, ORG, obj, act);
    }
  }
  for (const binding of data.bindings) if (binding.project_id === null) await enforcer.addGroupingPolicy(binding.principal_id, binding.role, ORG);
  return enforcer;
}

export const authzDecisions: Benchmark = {
  name: 'authz-decisions',
  description: 'in-process can() on cached bindings vs node-casbin RBAC with domains, same data, same process',
  run: async (out) => {
    const data = fixture();
    const enforcer = await casbinEnforcer(data);
    const facts: RequestFacts = { ip: '10.20.30.40', mfa: true, now: new Date() };
    const permission: Permission = 'projects.read';
    const resource = { tenantId: ORG, projectId: data.projects[7]! };
    const principals = data.members.slice(0, 256).map((m) => user(m, false));
    const conditioned = user(data.conditioned, true);
    let sink = 0;
    // Sanity: both engines agree on the plain case and the conditioned principal passes.
    for (const p of principals.slice(0, 30)) {
      const ours = decide(data.snapshot, p, permission, resource, facts).allowed;
      const theirs = enforcer.enforceSync(p.userId, ORG, 'projects', 'read');
      if (ours !== theirs) throw new Error(`engines disagree for ${p.userId}`);
    }
    if (!decide(data.snapshot, conditioned, permission, resource, facts).allowed) throw new Error('conditioned principal refused');

    const rounds = await measureRounds({
      baseline: {
        label: 'casbin',
        run: async (ops) => {
          for (let i = 0; i < ops; i++) if (enforcer.enforceSync(principals[i & 255]!.userId, ORG, 'projects', 'read')) sink++;
        },
      },
      subjects: [
        {
          label: 'can() plain',
          run: async (ops) => {
            for (let i = 0; i < ops; i++) if (decide(data.snapshot, principals[i & 255]!, permission, resource, facts).allowed) sink++;
          },
        },
        {
          label: 'can() IP+MFA',
          run: async (ops) => {
            for (let i = 0; i < ops; i++) if (decide(data.snapshot, conditioned, permission, resource, facts).allowed) sink++;
          },
        },
      ],
      rounds: SETTINGS.rounds,
      // casbin is far slower: the same op count for all sides keeps rounds comparable in wall time per side.
      ops: SETTINGS.ops / 10,
      warmupOps: SETTINGS.warmupOps / 10,
      out,
    });
    if (sink === 0) out('(no decision allowed?)');
    const [plain, conditionedStats] = rounds.subjects;
    const casbin = rounds.baseline.medianOpsPerSecond;
    for (const line of table(
      ['measure', 'value', 'target', ''],
      [
        ['casbin enforceSync, decisions/s', formatRate(casbin), '', ''],
        ['can(), plain role binding, decisions/s', formatRate(plain!.medianOpsPerSecond), `>= ${formatRate(TARGETS.plain)}`, plain!.medianOpsPerSecond >= TARGETS.plain ? 'met' : 'MISSED'],
        ['can(), IP + MFA conditions, decisions/s', formatRate(conditionedStats!.medianOpsPerSecond), `>= ${formatRate(TARGETS.conditioned)}`, conditionedStats!.medianOpsPerSecond >= TARGETS.conditioned ? 'met' : 'MISSED'],
        ['can() plain / casbin (median, range)', formatRatio(plain!.ratios), `>= ${TARGETS.casbinRatio}`, plain!.medianRatio >= TARGETS.casbinRatio ? 'met' : 'MISSED'],
      ],
    )) out(line);
    const verdicts: Verdict[] = [
      { measure: 'can() plain, decisions/s', value: formatRate(plain!.medianOpsPerSecond), target: `>= ${formatRate(TARGETS.plain)}`, met: plain!.medianOpsPerSecond >= TARGETS.plain },
      { measure: 'can() IP+MFA, decisions/s', value: formatRate(conditionedStats!.medianOpsPerSecond), target: `>= ${formatRate(TARGETS.conditioned)}`, met: conditionedStats!.medianOpsPerSecond >= TARGETS.conditioned },
      { measure: 'can() / casbin', value: `${plain!.medianRatio.toFixed(1)}x`, target: `>= ${TARGETS.casbinRatio}x`, met: plain!.medianRatio >= TARGETS.casbinRatio },
    ];
    return verdicts;
  },
};
