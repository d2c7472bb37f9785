import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b as m}from"./chunk-UKDL762E.js";import{a as s}from"./chunk-5XAOC6J4.js";import{a as n}from"./chunk-QCKPUDE3.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import{a as o}from"./chunk-45YJL5F3.js";var w=o(async(l,e)=>{let{values:t}=s(l,{...a,"dry-run":{type:"boolean",default:!1}}),{connectFleet:p,pausedBy:u,resumeFleet:c}=await import("./fleet-status-CD7FEBTB.js"),r=await p(await m(t,e,"resume"),new n(e.stderr));try{let d=await c(r.env,{by:u(e.env),dryRun:t["dry-run"]});return e.stdout(`${d.message}
`),0}finally{r.close()}},"command");export{w as command};
//# sourceMappingURL=resume-XNPAVNCV.js.map
