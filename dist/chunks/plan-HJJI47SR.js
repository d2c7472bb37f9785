import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as u}from"./chunk-LV22C2IY.js";import{a as g,d}from"./chunk-K47GWZKO.js";import{i as c}from"./chunk-CCBUCD72.js";import"./chunk-SO3DH6K2.js";import{c as p}from"./chunk-X6KALJ36.js";import"./chunk-C7TCIGBG.js";import"./chunk-HIQNSWCU.js";import"./chunk-NYR5E7AX.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import{a as s}from"./chunk-XAZPVJKA.js";import{b as l}from"./chunk-RRE6Y4S5.js";import{a as f}from"./chunk-45YJL5F3.js";var L=f(async(y,e)=>{let{values:n}=u(y,{inventory:{type:"string",short:"i",multiple:!0},target:{type:"string"},"target-kubernetes":{type:"string"},kubeconfig:{type:"string"},json:{type:"boolean",default:!1}}),{inventory:r,warnings:w}=await p(n.inventory??[],e.cwd);for(let t of w)e.stderr(`warning: ${s(t)}
`);let a={targetDkp:n.target,targetKubernetes:n["target-kubernetes"]},i;if(n.kubeconfig){let{readLiveVersionsFromFile:t}=await import("./live-DRSXY47S.js");i=await t(n.kubeconfig,r,a)}let o=c(r,{...a,live:i}),m=await d(r,o.target.dkp);for(let t of m.warnings)e.stderr(`warning: ${s(t)}
`);for(let t of m.notes)e.stderr(`note: ${t}
`);if(n.json){for(let t of g(o))e.stdout(t);e.stdout(`
`)}else e.stdout(l(o));return 0},"command");export{L as command};
//# sourceMappingURL=plan-HJJI47SR.js.map
