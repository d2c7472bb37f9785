import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{c as a,d as b,e as c,f as d,g as e}from"./chunk-CKOWOUJD.js";import"./chunk-45YJL5F3.js";export{d as code,a as escapeHtml,b as escapeHtmlBlock,c as mdTable,e as planSummary};
//# sourceMappingURL=markdown-22Q6JAUS.js.map
