import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{d as a,e as b,f as c,g as d,h as e}from"./chunk-KMHKFFQI.js";import"./chunk-FW2ORAA5.js";import"./chunk-45YJL5F3.js";export{d as code,a as escapeHtml,b as escapeHtmlBlock,c as mdTable,e as planSummary};
//# sourceMappingURL=markdown-H2J7CBO3.js.map
