import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{d as a,e as b,f as c,g as d,h as e}from"./chunk-FOGBFYKU.js";import"./chunk-3D2X6RWB.js";import"./chunk-COGT7F7E.js";import"./chunk-45YJL5F3.js";export{d as code,a as escapeHtml,b as escapeHtmlBlock,c as mdTable,e as planSummary};
//# sourceMappingURL=markdown-RCXQYGTD.js.map
