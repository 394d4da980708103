import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// The layers, for sources and tests alike: apps on libraries, libraries on libraries, everything
// on the contracts, which depend on nothing; the IPC package on no library.
const layers = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:lib', 'type:testkit', 'type:contracts'],
  },
  {
    sourceTag: 'type:lib',
    onlyDependOnLibsWithTags: ['type:lib', 'type:testkit', 'type:contracts'],
  },
  { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:testkit', 'type:contracts'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:ipc', notDependOnLibsWithTags: ['type:lib'] },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/vitest.config.*.timestamp*', '**/.nx'] },
  {
    files: ['**/src/**/*.ts', '**/bench/**/*.ts', '**/test/**/*.ts'],
    rules: {
      // Apps reach packages only through their public entry points; packages never import apps.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          // the composition imports these; the catalogue's light entries (`@whis/service/triggers`
          // for `whis setup`) and the microphone check's child load them only when they run
          checkDynamicDependenciesExceptions: ['@whis/output', '@whis/audio'],
          depConstraints: [
            ...layers,
            { sourceTag: 'scope:port-adapter', notDependOnLibsWithTags: ['scope:service-core'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // tests follow the same layers: adapters' tests run the contract suites from the test kit,
    // never from service-core
    files: ['**/*.test.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          checkDynamicDependenciesExceptions: ['@whis/output', '@whis/audio'],
          depConstraints: [...layers],
        },
      ],
    },
  },
  prettier,
];
