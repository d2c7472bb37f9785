import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{d as n}from"./chunk-ULTJBE6T.js";import{a as s}from"./chunk-LH5IZLC3.js";import{a as i}from"./chunk-77HDZ7WM.js";import{a as r}from"./chunk-45YJL5F3.js";var a=Object.fromEntries(Object.values(i).map(t=>[t,n(t)])),p;function u(){let t=new Map;for(let[l,e]of Object.entries(a))t.set(l,{id:l,name:e.name,shortDescription:e.short,fullDescription:e.full,help:e.help,helpMarkdown:`${e.full}

**Fix:** ${e.help}

See [the checks documentation](https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#health-gates).`,defaultSeverity:e.severity,tags:["dkp","health","pre-upgrade"]});return t}r(u,"buildRules");function f(){return p??=u(),[...p.values()]}r(f,"healthRules");function g(t){return p??=u(),p.get(t)}r(g,"healthRule");var o;function c(){let t=new Map;for(let l of Object.values(s)){let e=n(l);t.set(l,{id:l,name:e.name,shortDescription:e.short,fullDescription:e.full,help:e.help,helpMarkdown:e.helpMarkdown??`${e.full}

**Fix:** ${e.help}

See [the checks documentation](https://github.com/dkp-fleet-upgrade/dkp-fleet-upgrade/blob/main/docs/checks.md#pre-flight-checks).`,defaultSeverity:e.severity,tags:["dkp","pre-upgrade",...e.tags??[l.split("/")[0]]]})}return t}r(c,"build");function H(){return o??=c(),[...o.values()]}r(H,"preflightRules");function b(t){return o??=c(),o.get(t)}r(b,"preflightRule");export{f as a,g as b,H as c,b as d};
//# sourceMappingURL=chunk-2WLXLNSL.js.map
