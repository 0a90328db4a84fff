// Prints docs/data-export.schema.json: the JSON Schema of a personal data export (DATA-2) with the
// built-in sections. A test checks the file holds exactly this, and that real exports validate.
import { BUILT_IN_SCHEMAS, exportSchema } from '../src/modules/lifecycle/index.ts';

export function builtInExportSchema(): string {
  return `${JSON.stringify(exportSchema(Object.entries(BUILT_IN_SCHEMAS).map(([section, schema]) => ({ section, schema }))), null, 2)}\n`;
}

if (import.meta.main) process.stdout.write(builtInExportSchema());
