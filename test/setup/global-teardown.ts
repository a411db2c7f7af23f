import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE } from '../../src/catalogue';
import { CODES_DIR } from './test-database';

interface JestGlobalConfig {
  nonFlagArgs?: string[];
  testNamePattern?: string;
  onlyChanged?: boolean;
  findRelatedTests?: boolean;
}

/**
 * After a full run: every code of the error catalogue must have been answered by the server in
 * at least one e2e test (the harness records the code of every error response). A partial run
 * (a path or name filter) only reports.
 */
export default async function globalTeardown(globalConfig: JestGlobalConfig): Promise<void> {
  const embedded = (globalThis as { __embeddedPostgres?: { stop(): Promise<void> } }).__embeddedPostgres;
  await embedded?.stop();

  const seen = new Set<string>();
  for (const file of readdirSync(CODES_DIR)) {
    for (const code of JSON.parse(readFileSync(join(CODES_DIR, file), 'utf8')) as string[]) seen.add(code);
  }
  const missing = CATALOGUE.map((e) => e.code).filter((c) => !seen.has(c));
  const partial =
    (globalConfig.nonFlagArgs?.length ?? 0) > 0 ||
    !!globalConfig.testNamePattern ||
    !!globalConfig.onlyChanged ||
    !!globalConfig.findRelatedTests;
  if (!missing.length) {
    console.log(`\nError catalogue: all ${CATALOGUE.length} codes were produced by e2e tests.`);
  } else if (partial) {
    console.log(`\nError catalogue (partial run, not enforced): not produced here: ${missing.join(', ')}`);
  } else {
    throw new Error(
      `Error catalogue: ${missing.length} code(s) were not produced by any e2e test: ${missing.join(', ')}`,
    );
  }
}
