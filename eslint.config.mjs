// Lint: typescript-eslint's recommended rules plus the project's import boundaries (STYLE.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'shared/protocol/gen/**', 'bin/**', 'loadtest/reports/**', 'native/*/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // A native addon's loader: plain CommonJS, run by node as it is.
    files: ['native/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'readonly', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Only redis-*.ts may import ioredis, only mysql-*.ts may import mysql2, only the room uWebSockets.js.
    files: ['**/*.ts'],
    ignores: ['**/redis-*.ts', '**/mysql-*.ts', 'services/room/**', 'loadtest/bare-uws.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [
        { name: 'ioredis', message: 'only redis-*.ts files import ioredis' },
        { name: 'mysql2', message: 'only mysql-*.ts files import mysql2' },
        { name: 'mysql2/promise', message: 'only mysql-*.ts files import mysql2' },
        { name: 'uWebSockets.js', message: 'only services/room/ imports uWebSockets.js' },
      ] }],
    },
  },
  {
    // The load test's baseline: the smallest uWebSockets.js server, the one import outside the room.
    files: ['services/room/**/*.ts', 'loadtest/bare-uws.ts'],
    ignores: ['**/redis-*.ts', '**/mysql-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [
        { name: 'ioredis', message: 'only redis-*.ts files import ioredis' },
        { name: 'mysql2', message: 'only mysql-*.ts files import mysql2' },
        { name: 'mysql2/promise', message: 'only mysql-*.ts files import mysql2' },
      ] }],
    },
  },
);
