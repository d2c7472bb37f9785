import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import"./chunks/chunk-UFL36L6I.js";import{a as f}from"./chunks/chunk-6BOLNUNB.js";import{c as i}from"./chunks/chunk-XR44GUEZ.js";import{b as u}from"./chunks/chunk-7L35WMXF.js";import{b as p,d as c,e as l}from"./chunks/chunk-XAZPVJKA.js";import{a as e}from"./chunks/chunk-45YJL5F3.js";import{constants as O}from"node:os";var g=e(()=>({stdout:e(o=>process.stdout.write(o),"stdout"),stderr:e(o=>process.stderr.write(o),"stderr"),env:process.env,cwd:process.cwd()}),"processIO");var m={validate:{summary:"validate inventory files",load:e(()=>import("./chunks/validate-PDFJCAZA.js"),"load")},schema:{summary:"print the inventory JSON Schema",load:e(()=>import("./chunks/schema-5G2JU46F.js"),"load")},plan:{summary:"print the upgrade plan (table, or --json)",load:e(()=>import("./chunks/plan-STBWPPBG.js"),"load")},check:{summary:"pre-flight health and compatibility checks",load:e(()=>import("./chunks/check-VHXQT7Y4.js"),"load")},run:{summary:"run one stage: run <stage> -i <glob> [--cluster X]",load:e(()=>import("./chunks/run-7O5KHOS2.js"),"load")},install:{summary:"install the pinned dkp CLI, print its path",load:e(()=>import("./chunks/install-JUNFM5HY.js"),"load")},status:{summary:"fleet status from live state and the run record",load:e(()=>import("./chunks/status-UISMR2PA.js"),"load")},pause:{summary:"pause the fleet upgrade (stages end deferred)",load:e(()=>import("./chunks/pause-NR45LWSZ.js"),"load")},resume:{summary:"resume a paused fleet upgrade",load:e(()=>import("./chunks/resume-SB5VSTIL.js"),"load")},fleet:{summary:"fleet up|down: a local simulated DKP fleet (dev/demo)",load:e(()=>import("./chunks/fleet-OR2NO576.js"),"load")}};function y(){let o=Math.max(...Object.keys(m).map(t=>t.length));return`Usage: dkp-fleet <command> [options]

Commands:
${Object.entries(m).map(([t,a])=>`  ${t.padEnd(o)}  ${a.summary}`).join(`
`)}

Add --help after a command for its options. Exit codes: 0 ok, 1 the work failed, 2 bad input.
`}e(y,"usage");async function v(o,r=g()){let t=o.includes("--debug"),a=o.filter(s=>s!=="--debug"),[n,...C]=a;if(!n||n==="--help"||n==="-h"||n==="help")return r.stdout(y()),n?0:2;if(n==="--version")return r.stdout(`${f(process.env)}
`),0;let d=m[n];if(!d)return r.stderr(`dkp-fleet: unknown command "${n}"

${y()}`),2;let I=S(r);try{let{command:s}=await d.load();return await s(C,r)}catch(s){return r.stderr(`${s instanceof p?"":"error: "}${l(s)}
`),t&&s instanceof Error&&s.stack&&r.stderr(`${s.stack}
`),c(s)}finally{i(),I.remove(),u(void 0)}}e(v,"main");var h=["SIGINT","SIGTERM","SIGHUP"];function S(o){let r=e(t=>{i(),!(process.listenerCount(t)>1)&&(o.stderr(`dkp-fleet: stopped by ${t}
`),process.exit(128+(O.signals[t]??0)))},"handler");for(let t of h)process.on(t,r);return{remove:e(()=>{for(let t of h)process.removeListener(t,r)},"remove")}}e(S,"onSignals");process.exitCode=await v(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
