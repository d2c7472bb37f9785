import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a}from"./chunk-JBGZP2SP.js";import"./chunk-UMEXVJO5.js";import"./chunk-LC6DCME4.js";import"./chunk-5Y2N3FFQ.js";import"./chunk-7L35WMXF.js";import"./chunk-EGSSG2OJ.js";import"./chunk-M7YAKOLW.js";import{b as d}from"./chunk-XAZPVJKA.js";import{a as s}from"./chunk-45YJL5F3.js";var r=`Usage:
  dkp-fleet fleet up [-i <glob>]... [--dkp vX.Y.Z] [--dir DIR] [--bare] [--demo]
  dkp-fleet fleet down

up    starts a real kube-apiserver + etcd with the DKP CRDs in the background, seeds the
      inventory's fleet (default: the package's examples/fleet.yaml) at --dkp (default: the
      release before the inventory's target), runs the simulated controllers, and prints
        export KUBECONFIG=...
        export PATH=<dir with the stand-in dkp>:$PATH
      --bare: control plane and CRDs only (no seeding, no controllers).
      --demo: the simulated controllers take realistic time (a control plane rolls in about
      30 s) instead of the fast test timing.
down  stops the fleet and removes its files.
`,c=s(async(p,t)=>{let[n,...l]=p;if(!n||n==="--help"||n==="-h")return t.stdout(r),n?0:2;let{fleetDown:i,fleetUp:f}=await import("./fleet-MSQO57EV.js"),o=s(e=>t.stderr(`${e}
`),"log");if(n==="up"){let{values:e}=a(l,{inventory:{type:"string",short:"i",multiple:!0},dkp:{type:"string"},dir:{type:"string"},bare:{type:"boolean",default:!1},demo:{type:"boolean",default:!1},help:{type:"boolean",short:"h",default:!1}});if(e.help)return t.stdout(r),0;let u=await f({inventory:e.inventory,dkp:e.dkp,dir:e.dir,bare:e.bare,cwd:t.cwd,env:e.demo?{...t.env,DKP_FLEET_SIM_MODE:"demo"}:t.env,log:o});return t.stdout(u.exports),0}if(n==="down"){let{values:e}=a(l,{help:{type:"boolean",short:"h",default:!1}});return e.help?(t.stdout(r),0):(await i({env:t.env,log:o})||o("fleet: no fleet is running"),0)}throw new d(`fleet: unknown subcommand "${n}" (expected up or down)

${r}`)},"command");export{c as command};
//# sourceMappingURL=fleet-OR2NO576.js.map
