/** The committed JSON Schema is exactly what lib/config/types.ts generates today. */
import * as fs from 'fs';

// Plain JavaScript generator shared with `npm run gen:schema`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateSchemaText, SCHEMA_FILE } = require('../../lib/config/generate-schema.js');

it('lib/config/schema.json equals a fresh generation from types.ts (run `npm run gen:schema` if not)', () => {
  expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(generateSchemaText());
}, 60000);

it('the schema pins the contract version and constrains ranges', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  expect(schema.definitions.LbConfig.properties.schemaVersion).toMatchObject({ const: 1 });
  expect(schema.definitions.ListenerConfig.properties.port).toMatchObject({ minimum: 1, maximum: 65535 });
  // The model's rules (weights, cookie timeouts) are not repeated in the schema: validate.ts runs them.
  expect(schema.definitions.TargetConfig.properties.weight).not.toHaveProperty('maximum');
  expect(schema.definitions.LbConfig.additionalProperties).toBe(false);
});
