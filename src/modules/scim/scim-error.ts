/**
 * SCIM protocol errors (RFC 7644 §3.12): `{ schemas: [Error], status: "400", scimType, detail }`
 * as `application/scim+json`. The detail is a fixed sentence per code: nothing the client sent is
 * echoed back. The SCIM routes answer only these, never problem+json (docs/sso.md explains why).
 */
import { ParapetError } from '../../platform/errors.ts';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12 Table 9, plus the codes without a scimType that this server answers. */
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

const DETAILS: Readonly<Record<string, string>> = {
  invalidFilter: 'The filter is not valid or not supported.',
  tooMany: 'The request matches too many resources.',
  uniqueness: 'A resource with this identifier already exists in the directory.',
  mutability: 'The attribute cannot be changed.',
  invalidSyntax: 'The request body is not a valid SCIM request.',
  invalidPath: 'The PATCH path is not valid or not supported.',
  noTarget: 'The PATCH path matched nothing.',
  invalidValue: 'A value is missing or not valid.',
  invalidVers: 'The version does not match.',
  sensitive: 'Sensitive information must not be sent in the URL.',
  '401': 'Authentication failed.',
  '403': 'The operation is not allowed.',
  '404': 'The resource does not exist.',
  '405': 'The method is not supported.',
  '409': 'The request conflicts with the current state.',
  '412': 'The resource changed since the version given in If-Match.',
  '413': 'The request is too large.',
  '415': 'The request body must be application/scim+json or application/json.',
  '429': 'Too many requests.',
  '500': 'Internal error.',
  '501': 'Not implemented.',
  '503': 'The service is not available.',
};

export class ScimError extends ParapetError {
  readonly code = 'scim_error';
  override readonly name = 'ScimError';
  readonly status: number;
  readonly scimType: ScimType | undefined;

  constructor(status: number, scimType?: ScimType, options: { cause?: unknown } = {}) {
    super(DETAILS[scimType ?? String(status)] ?? 'Error.', options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.scimType = scimType;
  }
}

/** The body of a SCIM error answer. */
export function scimErrorBody(error: ScimError): { schemas: string[]; status: string; scimType?: ScimType; detail: string } {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(error.status), ...(error.scimType === undefined ? {} : { scimType: error.scimType }), detail: error.message };
}
