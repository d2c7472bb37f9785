import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as t}from"./chunk-45YJL5F3.js";var c=new Set(["kubeconfig","context","use-context","cluster-name","namespace","kubernetes-version","to-version","workspace","project","dry-run"]);function a(n){let o=[];for(let[r,e]of Object.entries(n??{}))for(let s of Array.isArray(e)?e:[e])o.push(`--${r}=${s}`);return o}t(a,"toFlags");export{c as a,a as b};
//# sourceMappingURL=chunk-C7TCIGBG.js.map
