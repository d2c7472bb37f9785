import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{c as a}from"./chunk-45K272HJ.js";import"./chunk-LC6DCME4.js";import"./chunk-EOAJKOAP.js";import"./chunk-XAZPVJKA.js";import{a as i}from"./chunk-45YJL5F3.js";async function h(t,r,n,o,l){let e=await a({version:t.version??r,sha256:t.sha256,urlTemplate:t.downloadUrl,dkpPath:t.path,requireChecksum:t.requireChecksum,tarballCacheDir:t.cacheDir,log:{info:i(s=>n.info(s),"info"),warning:i(s=>n.warning(s),"warning")},cwd:o.GITHUB_WORKSPACE??process.cwd()});return n.info(`dkp ${e.version} (${e.source}, sha256 ${e.sha256.slice(0,12)}\u2026): ${e.binary}`),e.tarballCache?.state==="stored"&&n.output("dkp-cache-key",e.tarballCache.key),e.pinLine&&n.summary(`> **Pin the dkp checksum.** No sha256 was known for dkp ${e.version}; this run trusted the download on first use. Add this to the action's \`with:\` block:
>
> \`${e.pinLine}\`
`),l?.(e),e.binary}i(h,"installDkpForStage");export{h as installDkpForStage};
//# sourceMappingURL=dkp-binary-DEHN6MIP.js.map
