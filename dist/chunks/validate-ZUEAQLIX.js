import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as c}from"./chunk-5XAOC6J4.js";import{d as l}from"./chunk-BIQLYCAC.js";import"./chunk-CNE6CCS6.js";import"./chunk-E5X2UBXR.js";import"./chunk-7L35WMXF.js";import"./chunk-RRE6Y4S5.js";import{c as m}from"./chunk-5H6CMLCS.js";import"./chunk-C7TCIGBG.js";import"./chunk-HIQNSWCU.js";import"./chunk-NYR5E7AX.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import{a}from"./chunk-XAZPVJKA.js";import{a as s}from"./chunk-45YJL5F3.js";var $=s(async(i,r)=>{let{values:d}=c(i,{inventory:{type:"string",short:"i",multiple:!0}}),{inventory:t,warnings:f}=await m(d.inventory??[],r.cwd),n=await l(t,t.target.dkp);for(let e of[...f,...n.warnings])r.stderr(`warning: ${a(e)}
`);for(let e of n.notes)r.stderr(`note: ${e}
`);let o=t.clusters.filter(e=>!e.attached).length;return r.stdout(`${t.files.join(", ")}: valid (fleet ${t.fleet}, target DKP ${t.target.dkp}, ${t.workspaces.length} workspace(s), ${o} managed and ${t.clusters.length-o} attached cluster(s))
`),0},"command");export{$ as command};
//# sourceMappingURL=validate-ZUEAQLIX.js.map
