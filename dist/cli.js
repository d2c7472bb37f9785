import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as f}from"./chunks/chunk-PPUNYQQ7.js";import"./chunks/chunk-UFL36L6I.js";import{c as i}from"./chunks/chunk-XR44GUEZ.js";import{b as u}from"./chunks/chunk-7L35WMXF.js";import{b as p,d as c,e as l}from"./chunks/chunk-XAZPVJKA.js";import{a as e}from"./chunks/chunk-45YJL5F3.js";import{constants as C}from"node:os";var g=e(()=>({stdout:e(s=>process.stdout.write(s),"stdout"),stderr:e(s=>process.stderr.write(s),"stderr"),env:process.env,cwd:process.cwd()}),"processIO");var m={validate:{summary:"validate inventory files",load:e(()=>import("./chunks/validate-VODNULD5.js"),"load")},schema:{summary:"print the inventory JSON Schema",load:e(()=>import("./chunks/schema-5G2JU46F.js"),"load")},plan:{summary:"print the upgrade plan (table, or --json)",load:e(()=>import("./chunks/plan-VUQIYAM7.js"),"load")},check:{summary:"pre-flight health and compatibility checks",load:e(()=>import("./chunks/check-GPMT2HWX.js"),"load")},run:{summary:"run one stage: run <stage> -i <glob> [--cluster X]",load:e(()=>import("./chunks/run-VORSF4FD.js"),"load")},install:{summary:"install the pinned dkp CLI, print its path",load:e(()=>import("./chunks/install-FL5VNYPM.js"),"load")},status:{summary:"fleet status from live state and the run record",load:e(()=>import("./chunks/status-TEO74TUO.js"),"load")},pause:{summary:"pause the fleet upgrade (stages end deferred)",load:e(()=>import("./chunks/pause-335EGTNN.js"),"load")},resume:{summary:"resume a paused fleet upgrade",load:e(()=>import("./chunks/resume-C5FNWG2J.js"),"load")},fleet:{summary:"fleet up|down: a local simulated DKP fleet (dev/demo)",load:e(()=>import("./chunks/fleet-RVH3U3FP.js"),"load")}};function y(){let s=Math.max(...Object.keys(m).map(t=>t.length));return`Usage: dkp-fleet <command> [options]

Commands:
${Object.entries(m).map(([t,a])=>`  ${t.padEnd(s)}  ${a.summary}`).join(`
`)}

Add --help after a command for its options. Exit codes: 0 ok, 1 the work failed, 2 bad input.
`}e(y,"usage");async function v(s,r=g()){let t=s.includes("--debug"),a=s.filter(o=>o!=="--debug"),[n,...I]=a;if(!n||n==="--help"||n==="-h"||n==="help")return r.stdout(y()),n?0:2;if(n==="--version")return r.stdout(`${process.env.DKP_FLEET_VERSION||f}
`),0;let d=m[n];if(!d)return r.stderr(`dkp-fleet: unknown command "${n}"

${y()}`),2;let O=S(r);try{let{command:o}=await d.load();return await o(I,r)}catch(o){return r.stderr(`${o instanceof p?"":"error: "}${l(o)}
`),t&&o instanceof Error&&o.stack&&r.stderr(`${o.stack}
`),c(o)}finally{i(),O.remove(),u(void 0)}}e(v,"main");var h=["SIGINT","SIGTERM","SIGHUP"];function S(s){let r=e(t=>{i(),!(process.listenerCount(t)>1)&&(s.stderr(`dkp-fleet: stopped by ${t}
`),process.exit(128+(C.signals[t]??0)))},"handler");for(let t of h)process.on(t,r);return{remove:e(()=>{for(let t of h)process.removeListener(t,r)},"remove")}}e(S,"onSignals");process.exitCode=await v(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
