import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a}from"./chunk-XAQU3542.js";import"./chunk-45YJL5F3.js";export{a as ConsoleReporter};
//# sourceMappingURL=reporter-26UJNK4V.js.map
