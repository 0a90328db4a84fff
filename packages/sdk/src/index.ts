// Used only inside the Parapet repository (the `parapet-source` condition): the SDK's sources are
// `src/sdk/` of the repository, shared with the server (README.md, "Where the code lives"). Apps
// get `dist/`, built from the same files.
export * from '../../../src/sdk/index.ts';
