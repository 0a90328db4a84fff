// Types for the parts of @secvisogram/csaf-validator-lib (BSI's CSAF 2.0 validator, plain
// JavaScript without declarations) the CSAF tests use.
declare module '@secvisogram/csaf-validator-lib/validateStrict.js' {
  interface CsafTestResult {
    readonly name: string;
    readonly isValid: boolean;
    readonly errors: readonly { readonly instancePath: string; readonly message?: string }[];
  }
  const validateStrict: (tests: readonly unknown[], document: unknown) => Promise<{ readonly isValid: boolean; readonly tests: readonly CsafTestResult[] }>;
  export default validateStrict;
}
declare module '@secvisogram/csaf-validator-lib/schemaTests.js' {
  export const csaf_2_0: unknown;
  export const csaf_2_0_strict: unknown;
}
declare module '@secvisogram/csaf-validator-lib/mandatoryTests.js' {
  const tests: Record<string, unknown>;
  export = tests;
}
