// The Parapet SDK for integrating apps: local permission decisions (and, with API keys, request signing).
export { createLocalAuthorizer, type LocalAuthorizer, type LocalAuthorizerOptions, type Subject, type Decision, type Permission, type SerializedSnapshot } from './authz.ts';
