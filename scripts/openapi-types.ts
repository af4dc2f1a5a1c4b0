import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';

/** Generates what an integrator would: TypeScript types from the committed OpenAPI document. */
export async function openapiTypes(document: string): Promise<string> {
  const ast = await openapiTS(JSON.parse(document));
  return `// Generated from openapi/openapi.json by scripts/openapi-types.ts; do not edit.\n${astToString(ast)}`;
}

const target = new URL('../test/integrator/schema.d.ts', import.meta.url);
if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(new URL('.', target), { recursive: true });
  writeFileSync(
    target,
    await openapiTypes(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')),
  );
}
