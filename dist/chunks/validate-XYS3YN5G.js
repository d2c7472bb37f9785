import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as m}from"./chunk-LV22C2IY.js";import{c as s}from"./chunk-PHCZHA55.js";import"./chunk-C7TCIGBG.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-NYR5E7AX.js";import{a}from"./chunk-XAZPVJKA.js";import{a as o}from"./chunk-45YJL5F3.js";var g=o(async(l,e)=>{let{values:i}=m(l,{inventory:{type:"string",short:"i",multiple:!0}}),{inventory:t,warnings:c}=await s(i.inventory??[],e.cwd);for(let r of c)e.stderr(`warning: ${a(r)}
`);let n=t.clusters.filter(r=>!r.attached).length;return e.stdout(`${t.files.join(", ")}: valid (fleet ${t.fleet}, target DKP ${t.target.dkp}, ${t.workspaces.length} workspace(s), ${n} managed and ${t.clusters.length-n} attached cluster(s))
`),0},"command");export{g as command};
//# sourceMappingURL=validate-XYS3YN5G.js.map
