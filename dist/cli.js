import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as c}from"./chunks/chunk-D2MVMUQW.js";import"./chunks/chunk-UFL36L6I.js";import{b as d,d as p,e as l}from"./chunks/chunk-XAZPVJKA.js";import{a as e}from"./chunks/chunk-45YJL5F3.js";var u=e(()=>({stdout:e(r=>process.stdout.write(r),"stdout"),stderr:e(r=>process.stderr.write(r),"stderr"),env:process.env,cwd:process.cwd()}),"processIO");var i={validate:{summary:"validate inventory files",load:e(()=>import("./chunks/validate-223C4KJD.js"),"load")},schema:{summary:"print the inventory JSON Schema",load:e(()=>import("./chunks/schema-XVMYTUPK.js"),"load")},plan:{summary:"print the upgrade plan (table, or --json)",load:e(()=>import("./chunks/plan-HJJI47SR.js"),"load")},check:{summary:"pre-flight health and compatibility checks",load:e(()=>import("./chunks/check-IQKT2WG7.js"),"load")},run:{summary:"run one stage: run <stage> -i <glob> [--cluster X]",load:e(()=>import("./chunks/run-G4INYOSX.js"),"load")},install:{summary:"install the pinned dkp CLI, print its path",load:e(()=>import("./chunks/install-HANXVKIJ.js"),"load")},status:{summary:"fleet status from live state and the run record",load:e(()=>import("./chunks/status-QJCVWDT2.js"),"load")},pause:{summary:"pause the fleet upgrade (stages end deferred)",load:e(()=>import("./chunks/pause-3VWYREDA.js"),"load")},resume:{summary:"resume a paused fleet upgrade",load:e(()=>import("./chunks/resume-VGFL7JPR.js"),"load")},fleet:{summary:"fleet up|down: a local simulated DKP fleet (dev/demo)",load:e(()=>import("./chunks/fleet-XOURP7JX.js"),"load")}};function f(){let r=Math.max(...Object.keys(i).map(n=>n.length));return`Usage: dkp-fleet <command> [options]

Commands:
${Object.entries(i).map(([n,a])=>`  ${n.padEnd(r)}  ${a.summary}`).join(`
`)}

Add --help after a command for its options. Exit codes: 0 ok, 1 the work failed, 2 bad input.
`}e(f,"usage");async function g(r,o=u()){let n=r.includes("--debug"),a=r.filter(t=>t!=="--debug"),[s,...h]=a;if(!s||s==="--help"||s==="-h"||s==="help")return o.stdout(f()),s?0:2;if(s==="--version")return o.stdout(`${process.env.DKP_FLEET_VERSION||c}
`),0;let m=i[s];if(!m)return o.stderr(`dkp-fleet: unknown command "${s}"

${f()}`),2;try{let{command:t}=await m.load();return await t(h,o)}catch(t){return o.stderr(`${t instanceof d?"":"error: "}${l(t)}
`),n&&t instanceof Error&&t.stack&&o.stderr(`${t.stack}
`),p(t)}}e(g,"main");process.exitCode=await g(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
