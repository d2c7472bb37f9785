import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a}from"./chunk-74VUZH3G.js";import"./chunk-45YJL5F3.js";export{a as default};
//# sourceMappingURL=releases-ZE3YQFMT.js.map
