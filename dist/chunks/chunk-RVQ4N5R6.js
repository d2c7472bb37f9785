import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";var t=e(r=>!r.attached,"isManaged");export{t as a};
//# sourceMappingURL=chunk-RVQ4N5R6.js.map
