import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as r}from"./chunk-45YJL5F3.js";import{writeFileSync as b}from"node:fs";import{join as w}from"node:path";var R=512*1024;async function T(e,s){let{connectFleet:u,fleetStatusMarkdown:f,pausedBy:d,pauseFleet:p,readFleetStatus:y,renderFleetStatus:m,resumeFleet:g}=await import("./fleet-status-4EOTUMA4.js"),{escapeHtml:i}=await import("./markdown-RCXQYGTD.js"),n=await u({inventory:e.inventory,kubeconfig:{content:e.kubeconfig},allowKubeconfigEnv:!1,target:e.target,targetKubernetes:e.targetKubernetes,env:process.env,cwd:process.cwd()},s);try{if(e.stage==="status"){let t=await y(n.env);s.info(m(t));let o=JSON.stringify(t),c=w(process.env.RUNNER_TEMP||process.cwd(),"dkp-fleet-status.json");b(c,o),s.output("status-file",c),s.output("status",o.length<=R?o:JSON.stringify({...t,clusters:[],steps:[],locks:[],truncated:!0})),s.summary(f(t)),t.paused&&s.warning(`the fleet upgrade is paused by ${t.paused.by} since ${t.paused.at}: ${t.paused.reason}`);return}let l=d(process.env),a=e.stage==="pause"?await p(n.env,{reason:e.reason,by:l,dryRun:e.dryRun}):await g(n.env,{by:l,dryRun:e.dryRun});for(let t of a.message.split(`
`))s.info(t);let v=e.stage==="pause"?!e.dryRun||a.previous!==null:e.dryRun&&a.previous!==null;s.output("paused",String(v)),s.summary(`## ${S(e.stage,e.dryRun,a.previous!==null)}: fleet ${i(n.env.inventory.fleet)}

${a.message.split(`
`).map(t=>`- ${i(t)}`).join(`
`)}
`)}finally{n.close()}}r(T,"runControl");function S(e,s,u){return s?`${e} (dry run)`:e==="pause"?u?"\u23F8\uFE0F Pause updated":"\u23F8\uFE0F Paused":u?"\u25B6\uFE0F Resumed":"Not paused"}r(S,"title");export{T as runControl};
//# sourceMappingURL=control-3XUPYO25.js.map
