import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a}from"./chunk-LV22C2IY.js";import{b as p}from"./chunk-XAZPVJKA.js";import{a as s}from"./chunk-45YJL5F3.js";var r=`Usage:
  dkp-fleet fleet up [-i <glob>]... [--dkp vX.Y.Z] [--dir DIR] [--bare]
  dkp-fleet fleet down

up    starts a real kube-apiserver + etcd with the DKP CRDs in the background, seeds the
      inventory's fleet (default: the package's examples/fleet.yaml) at --dkp (default: the
      release before the inventory's target), runs the simulated controllers, and prints
        export KUBECONFIG=...
        export PATH=<dir with the stand-in dkp>:$PATH
      --bare: control plane and CRDs only (no seeding, no controllers).
down  stops the fleet and removes its files.
`,m=s(async(d,t)=>{let[n,...l]=d;if(!n||n==="--help"||n==="-h")return t.stdout(r),n?0:2;let{fleetDown:i,fleetUp:u}=await import("./fleet-P5ZYRF5P.js"),o=s(e=>t.stderr(`${e}
`),"log");if(n==="up"){let{values:e}=a(l,{inventory:{type:"string",short:"i",multiple:!0},dkp:{type:"string"},dir:{type:"string"},bare:{type:"boolean",default:!1},help:{type:"boolean",short:"h",default:!1}});if(e.help)return t.stdout(r),0;let f=await u({inventory:e.inventory,dkp:e.dkp,dir:e.dir,bare:e.bare,cwd:t.cwd,env:t.env,log:o});return t.stdout(f.exports),0}if(n==="down"){let{values:e}=a(l,{help:{type:"boolean",short:"h",default:!1}});return e.help?(t.stdout(r),0):(await i({env:t.env,log:o})||o("fleet: no fleet is running"),0)}throw new p(`fleet: unknown subcommand "${n}" (expected up or down)

${r}`)},"command");export{m as command};
//# sourceMappingURL=fleet-2FSPJHZK.js.map
