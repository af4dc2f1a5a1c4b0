import { mkdirSync, writeFileSync } from 'node:fs';
import { openapiDocument } from './openapi-document.ts';

const target = new URL('../openapi/openapi.json', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, await openapiDocument());
console.log(`wrote ${target.pathname}`);
