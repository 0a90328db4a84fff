export interface OrganizationsTable {
  id: string;
  name: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface MembershipsTable {
  tenant_id: string;
  user_id: string;
  role: 'owner' | 'member';
  created_at: Date;
}

export interface ProjectsTable {
  tenant_id: string;
  id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
}

export type EnvironmentKind = 'development' | 'staging' | 'production' | 'other';

export interface EnvironmentsTable {
  tenant_id: string;
  project_id: string;
  id: string;
  name: string;
  kind: EnvironmentKind;
  created_at: Date;
  updated_at: Date;
}

export interface TenantsTables {
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
}
