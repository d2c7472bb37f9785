import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{e as o}from"./chunk-GNJ6O42B.js";import{a as n}from"./chunk-MUQGP6GN.js";import{a as r}from"./chunk-45YJL5F3.js";var i=16;async function u(S,p,s=i){let a=new Map,m=r(e=>{let t=a.get(e);return t||(t=n(e),a.set(e,t)),t},"moduleFor");return o(p,s,async e=>{try{return await(await m(e.stage)).status(S,e.cluster)}catch(t){return t instanceof Error?t:new Error(String(t))}})}r(u,"readStepStates");export{u as a};
//# sourceMappingURL=chunk-YNYKWRVH.js.map
