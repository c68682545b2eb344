// For `npm run mutation` only (preloaded through NODE_OPTIONS): @stryker-mutator/mocha-runner 9 requires
// mocha's CLI helpers without an extension (`mocha/lib/cli/run-helpers`), which mocha 12 ships as `.cjs`.
// Letting require() try `.cjs` too resolves them; nothing else changes.
const Module = require('node:module');
if (!Module._extensions['.cjs']) Module._extensions['.cjs'] = Module._extensions['.js'];
