// Generates src/metadata.ts: the @nestjs/swagger CLI plugin's view of every DTO (types, optional
// fields, class-validator rules, doc comments), so the OpenAPI document is derived from the DTOs
// whether the code is compiled by tsc or by SWC (tests). CI fails when it is stale.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { PluginMetadataGenerator } = require('@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator');
const { ReadonlyVisitor } = require('@nestjs/swagger/plugin');

process.chdir(root);
// Start from an empty module: the generator type-checks the program, including the old file.
const target = join(root, 'src', 'metadata.ts');
writeFileSync(target, '/* eslint-disable */\nexport default async () => { return {}; };\n');
new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      dtoFileNameSuffix: ['.dto.ts'],
      controllerFileNameSuffix: ['.controller.ts'],
      pathToSource: join(root, 'src'),
    }),
  ],
  outputDir: join(root, 'src'),
  filename: 'metadata.ts',
  tsconfigPath: 'tsconfig.build.json',
  printDiagnostics: false,
});
