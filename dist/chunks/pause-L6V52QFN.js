import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as s,b as m}from"./chunk-UKDL762E.js";import{a}from"./chunk-5XAOC6J4.js";import{a as n}from"./chunk-QCKPUDE3.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import{a as r}from"./chunk-45YJL5F3.js";var w=r(async(p,e)=>{let{values:t}=a(p,{...s,reason:{type:"string"},"dry-run":{type:"boolean",default:!1}}),{connectFleet:l,pauseFleet:u,pausedBy:y}=await import("./fleet-status-CD7FEBTB.js"),o=await l(await m(t,e,"pause"),new n(e.stderr));try{let c=await u(o.env,{reason:t.reason,by:y(e.env),dryRun:t["dry-run"]});return e.stdout(`${c.message}
`),0}finally{o.close()}},"command");export{w as command};
//# sourceMappingURL=pause-L6V52QFN.js.map
