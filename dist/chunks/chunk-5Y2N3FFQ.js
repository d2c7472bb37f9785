import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as t}from"./chunk-EGSSG2OJ.js";import{a}from"./chunk-45YJL5F3.js";var n=t.map(e=>e.name),s=["status","pause","resume"],o=["plan",...n,...s,"fetch-dkp"],p=new Set(t.filter(e=>e.scope==="cluster").map(e=>e.name));function r(e){return o.includes(e)}a(r,"isStageName");export{n as a,o as b,p as c,r as d};
//# sourceMappingURL=chunk-5Y2N3FFQ.js.map
