import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as S,b,d as x,e as m}from"./chunks/chunk-BOCIHU27.js";import"./chunks/chunk-UFL36L6I.js";import{a as C}from"./chunks/chunk-6BOLNUNB.js";import{c as p}from"./chunks/chunk-XR44GUEZ.js";import{e as v}from"./chunks/chunk-C7O636ZA.js";import{b as h}from"./chunks/chunk-7L35WMXF.js";import"./chunks/chunk-EGSSG2OJ.js";import{b as l,d as f,e as g}from"./chunks/chunk-XAZPVJKA.js";import{a as e}from"./chunks/chunk-45YJL5F3.js";import{constants as $}from"node:os";var O=e(()=>({stdout:e(n=>process.stdout.write(n),"stdout"),stderr:e(n=>process.stderr.write(n),"stderr"),env:process.env,cwd:process.cwd(),tty:{stdout:process.stdout.isTTY===!0,stderr:process.stderr.isTTY===!0}}),"processIO");var c={validate:e(()=>import("./chunks/validate-46Y35GEE.js"),"validate"),schema:e(()=>import("./chunks/schema-Y6ASF572.js"),"schema"),plan:e(()=>import("./chunks/plan-6MVNGAYS.js"),"plan"),check:e(()=>import("./chunks/check-KHOJQHOG.js"),"check"),run:e(()=>import("./chunks/run-3HTRFIFF.js"),"run"),upgrade:e(()=>import("./chunks/upgrade-ORWPRB36.js"),"upgrade"),install:e(()=>import("./chunks/install-A77QJUSA.js"),"install"),status:e(()=>import("./chunks/status-7BMMVJDB.js"),"status"),pause:e(()=>import("./chunks/pause-AD67CGRB.js"),"pause"),resume:e(()=>import("./chunks/resume-Q7U7ENRZ.js"),"resume"),fleet:e(()=>import("./chunks/fleet-B7GUOKUS.js"),"fleet")};function y(){let n=Object.keys(c),t=Math.max(...n.map(i=>i.length));return`Usage: dkp-fleet <command> [options]

Commands:
${n.map(i=>`  ${i.padEnd(t)}  ${m[i].summary}`).join(`
`)}

Add --help (or -h) after a command for its options, defaults and an example. Exit codes: 0 ok, 1 the work failed, 2 bad input.
`}e(y,"usage");function E(n,t){let o=m[n];if(!o)return;let i=t.indexOf("--"),r=i<0?t:t.slice(0,i),d=o.subcommands?.[t[0]??""];if(!(!r.includes("--help")&&!r.includes("-h")&&t[0]!=="help"))return d??o}e(E,"helpSpec");async function k(n,t=O()){let o=n.includes("--debug"),i=n.filter(s=>s!=="--debug"),[r,...d]=i;if(r==="help"&&d[0]&&m[d[0]]&&([r,...d]=[d[0],...d.slice(1),"--help"]),!r||r==="--help"||r==="-h"||r==="help")return t.stdout(y()),r?0:2;if(r==="--version")return t.stdout(`${C(process.env)}
`),0;let a=c[r];if(!a)return t.stderr(`dkp-fleet: unknown command "${r}"${v(r,Object.keys(c))}

${y()}`),2;let u=E(r,d);if(u){let s=b(S(t.env,t.tty?.stdout===!0));return t.stdout(x(u,s.bold)),0}let w=P(t);try{let{command:s}=await a();return await s(d,t)}catch(s){return t.stderr(`${s instanceof l?"":"error: "}${g(s)}
`),o&&s instanceof Error&&s.stack&&t.stderr(`${s.stack}
`),f(s)}finally{p(),w.remove(),h(void 0)}}e(k,"main");var I=["SIGINT","SIGTERM","SIGHUP"];function P(n){let t=e(o=>{p(),!(process.listenerCount(o)>1)&&(n.stderr(`dkp-fleet: stopped by ${o}
`),process.exit(128+($.signals[o]??0)))},"handler");for(let o of I)process.on(o,t);return{remove:e(()=>{for(let o of I)process.removeListener(o,t)},"remove")}}e(P,"onSignals");process.exitCode=await k(process.argv.slice(2));
//# sourceMappingURL=cli.js.map
