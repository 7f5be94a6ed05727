const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

// JupyterLab's packages are ES modules: jest runs them through babel
const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyterlab/',
  'lib0',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  collectCoverageFrom: ['src/models/**/*.ts', 'src/api.ts'],
  // printed only: no coverage/ folder and no junit.xml left in the checkout
  coverageReporters: ['text'],
  reporters: ['default'],
  testRegex: 'src/.*/.*.spec.ts[x]?$',
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
