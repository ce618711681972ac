// ESLint (flat config): the recommended rules of ESLint and typescript-eslint, a doc comment on every exported
// declaration (eslint-plugin-jsdoc), and eslint-config-prettier last so that formatting is Prettier's alone.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import jsdoc from 'eslint-plugin-jsdoc';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'native/build/', 'report/', 'results/', 'site/', 'test-artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Dropping fields by destructuring (`const { seconds: _s, ...rest } = r`) is how the code omits a key.
    rules: { '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The examples are the docs' snippets as whole files: `model.report;` shows what a value is, as the README does.
    files: ['examples/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // Every exported function, class, interface, type, enum and constant says what it is in a /** doc comment */.
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { jsdoc },
    rules: {
      'jsdoc/require-jsdoc': [
        'error',
        {
          publicOnly: true,
          enableFixer: false,
          require: { FunctionDeclaration: true, ClassDeclaration: true },
          contexts: ['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'TSEnumDeclaration', 'VariableDeclaration'],
        },
      ],
      'jsdoc/no-blank-blocks': 'error',
    },
  },
  prettier,
);
