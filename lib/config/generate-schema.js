#!/usr/bin/env node
/**
 * Generates lib/config/schema.json (the JSON Schema of the LB config document) from
 * lib/config/types.ts. `npm run gen:schema` writes it; test/lib/config-schema.test.ts checks
 * that the committed file equals a fresh generation, so types and schema cannot drift apart.
 * Plain JavaScript so it runs without a TypeScript loader and stays out of the jsii build.
 */
const path = require('path');
const fs = require('fs');
const { createGenerator } = require('ts-json-schema-generator');

const root = path.join(__dirname, '..', '..');
const SCHEMA_FILE = path.join(__dirname, 'schema.json');

/** The schema as the text written to schema.json. */
function generateSchemaText() {
  const generator = createGenerator({
    path: path.join(__dirname, 'types.ts'),
    tsconfig: path.join(root, 'tsconfig.dev.json'),
    type: 'LbConfig',
    jsDoc: 'extended',
    additionalProperties: false,
    skipTypeCheck: true,
  });
  const schema = generator.createSchema('LbConfig');
  schema.$id = 'https://cdktf-alb.invalid/schemas/lb-config.json';
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (require.main === module) {
  fs.writeFileSync(SCHEMA_FILE, generateSchemaText());
  process.stdout.write(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}\n`);
}

module.exports = { generateSchemaText, SCHEMA_FILE };
