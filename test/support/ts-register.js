/* eslint-disable @typescript-eslint/no-require-imports -- a require hook is CommonJS by nature */
// Lets a spawned `node -r ./test/support/ts-register.js src/main.ts` run the TypeScript sources
// as they are (compiled on load by SWC with the project's .swcrc), so a test that needs the real
// server process never depends on a stale dist/.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const options = JSON.parse(readFileSync(join(__dirname, '..', '..', '.swcrc'), 'utf8'));
delete options.$schema;
options.sourceMaps = 'inline';

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
