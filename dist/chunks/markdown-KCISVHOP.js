import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{d as a,e as b,f as c,g as d,h as e}from"./chunk-XY5BRWFX.js";import"./chunk-AIY55RFE.js";import"./chunk-COGT7F7E.js";import"./chunk-C4776I4Y.js";import"./chunk-B4ETKEV7.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{d as code,a as escapeHtml,b as escapeHtmlBlock,c as mdTable,e as planSummary};
//# sourceMappingURL=markdown-KCISVHOP.js.map
