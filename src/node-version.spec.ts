import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unsupportedNodeMessage } from './node-version';

describe('unsupportedNodeMessage (main.ts refuses an older Node.js than package.json promises)', () => {
  it('promises Node.js 22.12 or newer', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe('>=22.12');
  });

  it('one line for an older Node.js, nothing for the promised one or newer', () => {
    expect(unsupportedNodeMessage('20.20.2', '>=22.12')).toBe(
      'Node.js v20.20.2 is too old for this server: it needs Node.js >=22.12 (package.json "engines"); ' +
        'install Node.js 22 LTS (.ci/run fetches one into .tools/node)',
    );
    expect(unsupportedNodeMessage('22.11.9', '>=22.12')).toMatch(/^Node\.js v22\.11\.9 is too old/);
    for (const ok of ['22.12.0', '22.23.5', '23.0.0', '24.1.0'])
      expect(unsupportedNodeMessage(ok, '>=22.12')).toBeNull();
    expect(unsupportedNodeMessage('22.12.0', '>=22.12.1')).not.toBeNull();
    // a range it does not read is left to npm
    expect(unsupportedNodeMessage('18.0.0', '^22 || ^24')).toBeNull();
  });
});
