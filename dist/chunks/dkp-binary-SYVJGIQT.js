import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{c as o}from"./chunk-XVSRG574.js";import"./chunk-EOAJKOAP.js";import"./chunk-XAZPVJKA.js";import{a as t}from"./chunk-45YJL5F3.js";async function h(e,r,s,a,l){let n=await o({version:e.version??r,sha256:e.sha256,urlTemplate:e.downloadUrl,dkpPath:e.path,requireChecksum:e.requireChecksum,log:{info:t(i=>s.info(i),"info"),warning:t(i=>s.warning(i),"warning")},cwd:a.GITHUB_WORKSPACE??process.cwd()});return s.info(`dkp ${n.version} (${n.source}, sha256 ${n.sha256.slice(0,12)}\u2026): ${n.binary}`),n.pinLine&&s.summary(`> **Pin the dkp checksum.** No sha256 was known for dkp ${n.version}; this run trusted the download on first use. Add this to the action's \`with:\` block:
>
> \`${n.pinLine}\`
`),l?.(n),n.binary}t(h,"installDkpForStage");export{h as installDkpForStage};
//# sourceMappingURL=dkp-binary-SYVJGIQT.js.map
