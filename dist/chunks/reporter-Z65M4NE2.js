import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a}from"./chunk-QCKPUDE3.js";import"./chunk-45YJL5F3.js";export{a as ConsoleReporter};
//# sourceMappingURL=reporter-Z65M4NE2.js.map
