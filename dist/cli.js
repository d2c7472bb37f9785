import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import"./chunks/chunk-UFL36L6I.js";import{b as d,d as p,e as l}from"./chunks/chunk-XAZPVJKA.js";import{a as e}from"./chunks/chunk-45YJL5F3.js";var c=e(()=>({stdout:e(r=>process.stdout.write(r),"stdout"),stderr:e(r=>process.stderr.write(r),"stderr"),env:process.env,cwd:process.cwd()}),"processIO");var i={validate:{summary:"validate inventory files",load:e(()=>import("./chunks/validate-HERU7AJC.js"),"load")},schema:{summary:"print the inventory JSON Schema",load:e(()=>import("./chunks/schema-ESDCXKS3.js"),"load")},plan:{summary:"print the upgrade plan (table, or --json)",load:e(()=>import("./chunks/plan-77AFDN3D.js"),"load")},check:{summary:"pre-flight health and compatibility checks",load:e(()=>import("./chunks/check-BA2IJG45.js"),"load")},run:{summary:"run one stage: run <stage> -i <glob> [--cluster X]",load:e(()=>import("./chunks/run-ZPH6BUTZ.js"),"load")},install:{summary:"install the pinned dkp CLI, print its path",load:e(()=>import("./chunks/install-HANXVKIJ.js"),"load")},status:{summary:"fleet status from live state and the run record",load:e(()=>import("./chunks/status-WNEU7XKO.js"),"load")},pause:{summary:"pause the fleet upgrade (stages end deferred)",load:e(()=>import("./chunks/pause-UB26QDUM.js"),"load")},resume:{summary:"resume a paused fleet upgrade",load:e(()=>import("./chunks/resume-L4WZT7OM.js"),"load")},fleet:{summary:"fleet up|down: a local simulated DKP fleet (dev/demo)",load:e(()=>import("./chunks/fleet-DIJLXGTP.js"),"load")}};function u(){let r=Math.max(...Object.keys(i).map(o=>o.length));return`Usage: dkp-fleet <command> [options]

Commands:
${Object.entries(i).map(([o,a])=>`  ${o.padEnd(r)}  ${a.summary}`).join(`
`)}

Add --help after a command for its options. Exit codes: 0 ok, 1 the work failed, 2 bad input.
`}e(u,"usage");async function f(r,n=c()){let o=r.includes("--debug"),a=r.filter(t=>t!=="--debug"),[s,...g]=a;if(!s||s==="--help"||s==="-h"||s==="help")return n.stdout(u()),s?0:2;if(s==="--version")return n.stdout(`${process.env.DKP_FLEET_VERSION??"0.1.0"}
`),0;let m=i[s];if(!m)return n.stderr(`dkp-fleet: unknown command "${s}"

${u()}`),2;try{let{command:t}=await m.load();return await t(g,n)}catch(t){return n.stderr(`${t instanceof d?"":"error: "}${l(t)}
`),o&&t instanceof Error&&t.stack&&n.stderr(`${t.stack}
`),p(t)}}e(f,"main");process.exitCode=await f(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
