import { createTestApp } from '../support/app.ts';
import { crossTenantSuite } from './cross-tenant-cases.ts';

crossTenantSuite('cross-tenant isolation (TEN-1, TEN-2)', () => createTestApp());
