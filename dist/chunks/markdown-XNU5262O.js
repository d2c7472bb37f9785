import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e}from"./chunk-AQD3DCDF.js";import"./chunk-SITTU46H.js";import"./chunk-45YJL5F3.js";export{d as code,a as escapeHtml,b as escapeHtmlBlock,c as mdTable,e as planSummary};
//# sourceMappingURL=markdown-XNU5262O.js.map
