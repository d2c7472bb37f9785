import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as d}from"./chunk-5XAOC6J4.js";import{a as i,b as a,c as h}from"./chunk-7T5NJG2A.js";import"./chunk-CYE26KWI.js";import"./chunk-7L35WMXF.js";import"./chunk-EOAJKOAP.js";import{b as n}from"./chunk-XAZPVJKA.js";import{a as t}from"./chunk-45YJL5F3.js";var c=`Usage: dkp-fleet install --version vX.Y.Z [options]

Installs the dkp CLI: from the tool cache when a verified copy is there (re-hashed on every use),
else downloaded, its sha256 checked before extraction, \`dkp version\` checked, then cached.
Prints the path of the dkp binary on stdout; progress and warnings go to stderr.

Options:
  --version vX.Y.Z      dkp release to install (required)
  --sha256 HEX          sha256 of the release tarball (with --dkp-path: of the binary)
  --url TEMPLATE        mirror URL with {version}, {os}, {arch}, e.g.
                        https://mirror.example.com/dkp/{version}/dkp_{version}_{os}_{arch}.tar.gz
  --require-checksum    refuse to download when no sha256 is known (--sha256 or the shipped table)
  --dkp-path PATH       use this pre-installed binary (or a directory holding dkp); its version is checked
  -q, --quiet           no progress lines (warnings still go to stderr)

Cache: $RUNNER_TOOL_CACHE on GitHub runners, else $XDG_CACHE_HOME/dkp-fleet/tool-cache
(default ~/.cache/dkp-fleet/tool-cache). Exit codes: 0 installed, 1 failed (e.g. checksum
mismatch), 2 bad input.
`,f=t(async(l,r)=>{let{values:e}=d(l,{version:{type:"string"},sha256:{type:"string"},url:{type:"string"},"require-checksum":{type:"boolean"},"dkp-path":{type:"string"},quiet:{type:"boolean",short:"q"},help:{type:"boolean",short:"h"}});if(e.help)return r.stdout(c),0;if(!e.version)throw new n("usage: --version vX.Y.Z is required, e.g. dkp-fleet install --version v2.8.1 --sha256 <hex>");let o=a(r.env),p=await h({version:e.version,...e.sha256!==void 0?{sha256:e.sha256}:{},...e.url!==void 0?{urlTemplate:e.url}:{},...e["dkp-path"]!==void 0?{dkpPath:e["dkp-path"]}:{},requireChecksum:e["require-checksum"]===!0,cacheRoot:o.cacheRoot,tempDir:o.tempDir,cwd:r.cwd,labels:i,log:{info:t(s=>{e.quiet||r.stderr(`${s}
`)},"info"),warning:t(s=>r.stderr(`warning: ${s}
`),"warning")}});return r.stdout(`${p.binary}
`),0},"command");export{c as HELP,f as command};
//# sourceMappingURL=install-EYPHHOCB.js.map
