import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as l,e as p}from"./chunk-JBGZP2SP.js";import{a,b as i,c as d}from"./chunk-45K272HJ.js";import"./chunk-UMEXVJO5.js";import"./chunk-LC6DCME4.js";import"./chunk-5Y2N3FFQ.js";import"./chunk-7L35WMXF.js";import"./chunk-EOAJKOAP.js";import"./chunk-EGSSG2OJ.js";import"./chunk-M7YAKOLW.js";import"./chunk-XAZPVJKA.js";import{a as t}from"./chunk-45YJL5F3.js";var u=`Usage: dkp-fleet install --version vX.Y.Z [options]

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
`,f=t(async(h,r)=>{let{values:o}=l(h,{version:{type:"string"},sha256:{type:"string"},url:{type:"string"},"require-checksum":{type:"boolean"},"dkp-path":{type:"string"},quiet:{type:"boolean",short:"q"},help:{type:"boolean",short:"h"}});if(o.help)return r.stdout(u),0;let e=p(o,{inventoryOptional:!0,required:["dkp-version"],labels:{"dkp-version":"--version","dkp-sha256":"--sha256","dkp-download-url":"--url"}}),n=i(r.env),c=await d({version:e.dkpVersion??"",...e.dkpSha256!==void 0?{sha256:e.dkpSha256}:{},...e.dkpDownloadUrl!==void 0?{urlTemplate:e.dkpDownloadUrl}:{},...e.dkpPath!==void 0?{dkpPath:e.dkpPath}:{},requireChecksum:e.requireChecksum,cacheRoot:n.cacheRoot,tempDir:n.tempDir,cwd:r.cwd,labels:a,log:{info:t(s=>{o.quiet||r.stderr(`${s}
`)},"info"),warning:t(s=>r.stderr(`warning: ${s}
`),"warning")}});return r.stdout(`${c.binary}
`),0},"command");export{u as HELP,f as command};
//# sourceMappingURL=install-JUNFM5HY.js.map
